package dev.retort.core.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code _SUCCESS} file of an output folder: the config hash that produced it on the first
 * line, then one line per committed data file, {@code file<TAB>relative/path<TAB>bytes<TAB>rows}
 * (rows -1 when not counted). It is written last; on stores without atomic rename it is what
 * commits the folder, and readers of a folder with a listing read exactly the files it lists.
 * A one-line {@code _SUCCESS} (the hash only) lists nothing, and readers list the folder.
 *
 * @param configHash the producing config's hash
 * @param files the committed files, relative to the folder
 */
public record Manifest(String configHash, List<Entry> files) {
  public static final String FILE = "_SUCCESS";

  /** @param rows -1 when not counted */
  public record Entry(String path, long bytes, long rows) {}

  public Manifest {
    files = List.copyOf(files);
  }

  /** The manifest of {@code dir}, or null when it has none (or it cannot be read). */
  public static Manifest read(Location dir) {
    Location f = dir.resolve(FILE);
    Store s = Store.of(dir);
    String text;
    try {
      if (!s.isFile(f)) {
        return null;
      }
      try (InputStream in = s.open(f)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      return null;
    }
    String[] lines = text.split("\n");
    List<Entry> files = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      String[] p = lines[i].split("\t");
      if (p.length == 4 && p[0].equals("file")) {
        files.add(new Entry(p[1], Long.parseLong(p[2]), Long.parseLong(p[3])));
      }
    }
    return new Manifest(lines.length == 0 ? "" : lines[0].trim(), files);
  }

  public boolean listsFiles() {
    return !files.isEmpty();
  }

  /** The listed files as locations under {@code dir}. */
  public List<Location> locations(Location dir) {
    return files.stream().map(e -> dir.resolve(e.path())).sorted().toList();
  }

  /**
   * Checks that every listed file exists under {@code dir} with the size it claims.
   *
   * @throws IllegalStateException naming the first file that is missing or of another size
   */
  public void verify(Location dir) {
    Store s = Store.of(dir);
    for (Entry e : files) {
      Location f = dir.resolve(e.path());
      try {
        if (!s.isFile(f)) {
          throw new IllegalStateException("committed file missing: " + f);
        }
        long size = s.size(f);
        if (size != e.bytes()) {
          throw new IllegalStateException("committed file " + f + " has " + size + " bytes, the task reported " + e.bytes());
        }
      } catch (IOException ex) {
        throw new UncheckedIOException("cannot check " + f + ": " + ex.getMessage(), ex);
      }
    }
  }

  /** Writes this as {@code dir/_SUCCESS} (committed: whole or absent). */
  public void write(Location dir) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    StringBuilder sb = new StringBuilder(configHash).append('\n');
    for (Entry e : files) {
      sb.append("file\t").append(e.path()).append('\t').append(e.bytes()).append('\t').append(e.rows()).append('\n');
    }
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    Store s = Store.of(dir);
    try {
      s.commit(dir.resolve(FILE), target -> {
        try (OutputStream out = s.create(target)) {
          out.write(bytes);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the manifest of " + dir + ": " + e.getMessage(), e);
    }
  }
}
