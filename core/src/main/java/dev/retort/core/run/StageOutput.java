package dev.retort.core.run;

import dev.retort.core.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Completion markers of a stage's output folder (DESIGN.md): {@code _SUCCESS} holds the config hash
 * that produced the folder. A folder without it is incomplete and is resumed or rebuilt, never read
 * as done; a folder whose hash differs was made by another config and is rebuilt.
 */
public final class StageOutput {
  public static final String SUCCESS = "_SUCCESS";
  public static final String STATS = "stats.json";

  private StageOutput() {}

  public static boolean isComplete(Path dir, String configHash) {
    Path marker = dir.resolve(SUCCESS);
    if (!Files.isRegularFile(marker)) {
      return false;
    }
    try {
      String content = Files.readString(marker, StandardCharsets.UTF_8).trim();
      return configHash == null || content.equals(configHash);
    } catch (IOException e) {
      return false;
    }
  }

  /** Writes provenance, optional stats, then the marker last (so the marker implies the rest). */
  public static void complete(Path dir, Provenance provenance, Map<String, ?> stats) {
    try {
      Files.createDirectories(dir);
      provenance.write(dir);
      if (stats != null) {
        Json.write(dir.resolve(STATS), stats);
      }
      Path tmp = dir.resolve("." + SUCCESS + ".tmp");
      Files.writeString(tmp, provenance.configHash() + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(SUCCESS), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot mark " + dir + " complete: " + e.getMessage(), e);
    }
  }

  /** Removes the marker before a stage rewrites a folder, so a crash mid-rewrite is never read as done. */
  public static void invalidate(Path dir) {
    try {
      Files.deleteIfExists(dir.resolve(SUCCESS));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes a folder tree (used when a stage must rebuild from scratch). */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
