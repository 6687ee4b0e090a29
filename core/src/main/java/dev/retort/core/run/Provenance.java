package dev.retort.core.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.retort.core.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What produced an output: written as {@code provenance.json} next to every Parquet folder,
 * checkpoint and report (after Tribuo's provenance). Never holds secrets: configs carry only the
 * name of the environment variable or file that holds an API key, never the key.
 *
 * @param stage the stage that wrote the output
 * @param configHash hash of the resolved config sections the stage used
 * @param config the resolved config sections
 * @param seed the stage's seed
 * @param gitCommit the Retort commit (with "-dirty" if the tree had changes), or "unknown"
 * @param inputs input name to identity (a content hash of the input folder or file)
 * @param models model role to id (teacher, student, ...)
 * @param versions component versions (Retort, Java, Spark, DJL)
 * @param createdAt ISO-8601 time
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Provenance(
    String stage,
    String configHash,
    Map<String, Object> config,
    long seed,
    String gitCommit,
    Map<String, String> inputs,
    Map<String, String> models,
    Map<String, String> versions,
    String createdAt) {

  public static final String FILE = "provenance.json";

  public static Provenance of(String stage, String configHash, Map<String, Object> config, long seed,
      Map<String, String> inputs, Map<String, String> models) {
    return new Provenance(stage, configHash, config, seed, currentCommit(), new TreeMap<>(inputs),
        new TreeMap<>(models), currentVersions(), Instant.now().toString());
  }

  public void write(Path dir) {
    write(Location.local(dir));
  }

  public void write(Location dir) {
    Json.write(dir.resolve(FILE), this);
  }

  public static Provenance read(Path dir) {
    return read(Location.local(dir));
  }

  public static Provenance read(Location dir) {
    Location f = dir.resolve(FILE);
    try (InputStream in = Store.of(f).open(f)) {
      return Json.MAPPER.readValue(in, Provenance.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read provenance in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * A content identity of a file or folder: SHA-256 over relative paths, sizes and contents of the
   * data files (folders: *.parquet, *.json, *.jsonl, *.safetensors, skipping temporaries).
   * If the folder holds a provenance.json, its config hash is mixed in too.
   */
  public static String identityOf(Path path) {
    return identityOf(Location.local(path));
  }

  /** {@link #identityOf(Path)} on any store. */
  public static String identityOf(Location path) {
    try {
      Store store = Store.of(path);
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      List<Location> files = new ArrayList<>();
      if (store.isDirectory(path)) {
        walk(store, path, files);
        files.sort(null);
      } else if (store.isFile(path)) {
        files.add(path);
      } else {
        return "missing";
      }
      byte[] buf = new byte[1 << 16];
      for (Location f : files) {
        String rel = f.equals(path) ? "" : f.relativeTo(path);
        md.update(rel.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update(Long.toString(store.size(f)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try (InputStream in = new DigestInputStream(store.open(f), md)) {
          while (in.read(buf) >= 0) {
            // digesting
          }
        }
      }
      return "sha256:" + HexFormat.of().formatHex(md.digest()).substring(0, 32);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void walk(Store store, Location dir, List<Location> out) throws IOException {
    for (Location c : store.list(dir)) {
      String n = c.name();
      if (store.isDirectory(c)) {
        walk(store, c, out);
      } else if (!n.startsWith(".") && !n.endsWith(".crc") && !n.equals(FILE) && !n.equals("_SUCCESS")) {
        out.add(c);
      }
    }
  }

  private static volatile String cachedCommit;

  /**
   * The Retort commit: -Dretort.git.commit (set by bin/retort and by the cluster jar's launcher),
   * else asked of git in the working directory, else "unknown".
   */
  public static String currentCommit() {
    String c = cachedCommit;
    if (c != null) {
      return c;
    }
    c = System.getProperty("retort.git.commit");
    if (c == null || c.isBlank()) {
      c = runGit("rev-parse", "HEAD");
      String status = c == null ? null : runGit("status", "--porcelain", "--untracked-files=no");
      if (status != null && !status.isBlank()) {
        c = c + "-dirty";
      }
    }
    cachedCommit = c == null || c.isBlank() ? "unknown" : c.trim();
    return cachedCommit;
  }

  private static String runGit(String... args) {
    try {
      String[] cmd = new String[args.length + 1];
      cmd[0] = "git";
      System.arraycopy(args, 0, cmd, 1, args.length);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      return p.waitFor() == 0 ? out.trim() : null;
    } catch (IOException | InterruptedException e) {
      return null;
    }
  }

  public static Map<String, String> currentVersions() {
    Map<String, String> v = new LinkedHashMap<>();
    String retort = Provenance.class.getPackage().getImplementationVersion();
    v.put("retort", retort == null ? "0.1.0-SNAPSHOT" : retort);
    v.put("java", System.getProperty("java.version"));
    v.put("spark", "4.1.3");
    v.put("djl", "0.35.1");
    return v;
  }
}
