package dev.retort.core.run;

import dev.retort.core.io.Json;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Completion markers of a stage's output folder (DESIGN.md): {@code _SUCCESS} ({@link Manifest})
 * holds the config hash that produced the folder, and where a stage lists them, the committed files.
 * A folder without it is incomplete and is resumed or rebuilt, never read as done; a folder whose
 * hash differs was made by another config and is rebuilt.
 */
public final class StageOutput {
  public static final String SUCCESS = Manifest.FILE;
  public static final String STATS = "stats.json";

  private StageOutput() {}

  public static boolean isComplete(Path dir, String configHash) {
    return isComplete(Location.local(dir), configHash);
  }

  public static boolean isComplete(Location dir, String configHash) {
    Manifest m = Manifest.read(dir);
    return m != null && (configHash == null || m.configHash().equals(configHash));
  }

  /** Writes provenance, optional stats, then the marker last (so the marker implies the rest). */
  public static void complete(Path dir, Provenance provenance, Map<String, ?> stats) {
    complete(Location.local(dir), provenance, stats, List.of());
  }

  public static void complete(Location dir, Provenance provenance, Map<String, ?> stats) {
    complete(dir, provenance, stats, List.of());
  }

  /**
   * Writes provenance, optional stats, then {@code _SUCCESS} listing {@code files} last. Each listed
   * file is first checked to exist with its size, so a folder is never marked complete over a file
   * a task reported but the store does not hold.
   *
   * @throws IllegalStateException when a listed file is missing or of another size
   */
  public static void complete(Location dir, Provenance provenance, Map<String, ?> stats, List<Manifest.Entry> files) {
    try {
      Store.of(dir).mkdirs(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot mark " + dir + " complete: " + e.getMessage(), e);
    }
    Manifest m = new Manifest(provenance.configHash(), files);
    m.verify(dir);
    provenance.write(dir);
    if (stats != null) {
      Json.write(dir.resolve(STATS), stats);
    }
    m.write(dir);
  }

  /** Removes the marker before a stage rewrites a folder, so a crash mid-rewrite is never read as done. */
  public static void invalidate(Path dir) {
    invalidate(Location.local(dir));
  }

  public static void invalidate(Location dir) {
    try {
      Store.of(dir).delete(dir.resolve(SUCCESS));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes a folder tree (used when a stage must rebuild from scratch). */
  public static void deleteTree(Path dir) {
    deleteTree(Location.local(dir));
  }

  public static void deleteTree(Location dir) {
    try {
      Store.of(dir).delete(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
    }
  }
}
