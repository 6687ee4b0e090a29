package dev.retort.pipelines.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Spark's scratch space (block-manager and shuffle folders) per process: {@code spark.local.dir}
 * is set to {@code <tmp>/retort-spark/<pid>} unless spark-submit, a {@code -Dspark.local.dir} or
 * {@code SPARK_LOCAL_DIRS} chose one. Spark removes its folders when it stops normally; a killed
 * run leaves them, so each start removes the folders of processes that are gone.
 */
public final class SparkScratch {
  static final String PROPERTY = "spark.local.dir";

  private SparkScratch() {}

  /** Sets this process's scratch folder (where nobody chose one) and removes gone processes' folders. */
  public static void prepare() {
    if (System.getProperty(PROPERTY) != null || System.getenv("SPARK_LOCAL_DIRS") != null) {
      return;
    }
    Path root = Path.of(System.getProperty("java.io.tmpdir"), "retort-spark-" + System.getProperty("user.name", "user"));
    removeStale(root);
    System.setProperty(PROPERTY, root.resolve(Long.toString(ProcessHandle.current().pid())).toString());
  }

  /** Deletes the folders under {@code root} named by a PID that is not alive; returns them. */
  static List<Path> removeStale(Path root) {
    List<Path> removed = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return removed;
    }
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.toList()) {
        String n = d.getFileName().toString();
        if (n.matches("[0-9]{1,19}") && ProcessHandle.of(Long.parseLong(n)).map(p -> !p.isAlive()).orElse(true)) {
          deleteTree(d);
          removed.add(d);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Scratch cleanup is best effort: another user's or a racing process's folder is left alone.
    }
    return removed;
  }

  private static void deleteTree(Path d) throws IOException {
    try (Stream<Path> all = Files.walk(d)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
