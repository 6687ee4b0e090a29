package dev.retort.pipelines.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.StageOutput;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code retort run conf/local.conf --set run.work-dir=hdfs://...} on a real HDFS (one in-JVM
 * namenode and datanode) with PipelineRunTest's tiny settings: every stage's output, the teacher
 * cache (which follows the work dir), the pipeline's marks and the logs land in HDFS, and nothing
 * on local disk but the local cache. A rerun skips every stage and writes nothing, also with the
 * local cache gone; {@code --from eval} then fetches the models from HDFS again.
 */
class HdfsPipelineRunTest {
  @TempDir static Path tmp;
  private static HdfsFixture dfs;
  private static String work;
  private static String cacheBefore;

  @BeforeAll
  static void start() throws Exception {
    cacheBefore = System.getProperty("retort.cache-dir");
    System.setProperty("retort.cache-dir", tmp.resolve("cache").toString());
    dfs = new HdfsFixture(tmp.resolve("dfs"));
    work = dfs.uri() + "/runs";
  }

  @AfterAll
  static void stop() {
    if (dfs != null) {
      dfs.close();
    }
    if (cacheBefore == null) {
      System.clearProperty("retort.cache-dir");
    } else {
      System.setProperty("retort.cache-dir", cacheBefore);
    }
  }

  /** The tiny pipeline, with no teacher-cache: it follows the work dir into HDFS. */
  private static String[] args(String... extra) {
    List<String> a = new ArrayList<>(List.of("run", Path.of("..", "conf", "local.conf").toString(),
        "--set", "run.work-dir=\"" + work + "\"",
        "--set", "run.run-id=tiny"));
    a.addAll(dev.retort.pipelines.TinyPipeline.settings());
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  private static String run(String... args) {
    String out = dev.retort.pipelines.TinyPipeline.run(args);
    assertTrue(out.contains("RESULT e2e teacher_acc="), out);
    return out;
  }

  /** Every file under {@code dir} on HDFS with its length and modification time. */
  private static Map<String, String> files(String dir) throws Exception {
    Map<String, String> out = new TreeMap<>();
    FileSystem fs = dfs.fileSystem();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(new org.apache.hadoop.fs.Path(dir), true);
    while (it.hasNext()) {
      LocatedFileStatus s = it.next();
      out.put(s.getPath().toUri().getPath(), s.getLen() + "@" + s.getModificationTime());
    }
    return out;
  }

  private static Set<String> names(Path dir) throws Exception {
    try (var list = Files.list(dir)) {
      return new TreeSet<>(list.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void everyStageWritesIntoHdfsAndARerunSkipsThem() throws Exception {
    Path cwd = Path.of("").toAbsolutePath();
    Set<String> cwdBefore = names(cwd);
    run(args());

    Location root = Location.of(work + "/tiny");
    Store store = Store.of(root);
    assertEquals(12, ParquetIO.read(root.resolve("traces"), Codecs.TRACE).size(), "6 prompts x 2 samples, exactly once");
    for (String out : List.of("prompts", "traces", "filtered", "filtered/sft", "models/base", "models/student",
        "models/student-unfiltered", "models/rl-student")) {
      assertTrue(StageOutput.isComplete(root.resolve(out), null), out + " complete in HDFS");
    }
    for (String m : List.of("base", "student", "student-unfiltered", "rl-student")) {
      assertTrue(store.isFile(root.resolve("models/" + m + "/config.json")), m);
      assertTrue(store.isFile(root.resolve("models/" + m + "/provenance.json")), m);
    }
    List<Location> teachers = store.list(Location.of(work + "/cache"));
    assertEquals(1, teachers.size(), "the teacher cache follows the work dir: " + teachers);
    assertTrue(StageOutput.isComplete(teachers.get(0), null), "teacher checkpoint complete in HDFS");
    for (String m : List.of("teacher", "student", "student-unfiltered", "rl-student", "base")) {
      assertTrue(StageOutput.isComplete(root.resolve("eval/" + m + "/arith"), null), "eval of " + m);
    }
    for (String f : List.of("report/index.html", "report/provenance.json", "data/bootstrap.parquet", "data/distill.parquet",
        "data/teacher-sft/part-00000.parquet", "data/base-sft/part-00000.parquet", "data/sft-unfiltered/part-00000.parquet",
        "logs/server-0.log", "logs/base.log", "logs/student-unfiltered.log")) {
      assertTrue(store.isFile(root.resolve(f)), f + " in HDFS");
    }
    for (String stage : List.of("prompts", "teacher", "generate", "filter", "base", "student", "student-unfiltered", "rl", "eval")) {
      assertTrue(store.isFile(root.resolve(".pipeline/" + stage + ".json")), "mark of " + stage);
    }
    assertEquals(cwdBefore, names(cwd), "nothing new in the working folder");
    assertEquals(Set.of("cache", "dfs"), names(tmp), "on local disk only the cache (and HDFS's own storage)");

    // A rerun, even with the local cache gone and with Spark told to run elsewhere (execution
    // settings are no part of any fingerprint), skips every stage: nothing in HDFS is rewritten.
    Map<String, String> before = files("/runs");
    deleteTree(tmp.resolve("cache"));
    run(args("--set", "generate.spark-master=\"local[1]\"", "--set", "filter.spark-master=\"local[1]\"",
        "--set", "filter.partitions=3", "--set", "eval.spark-partitions=5"));
    assertEquals(before, files("/runs"), "a rerun skips every stage");

    // --from eval fetches every model from HDFS into the (empty) cache and republishes the report only.
    run(args("--from", "eval"));
    Map<String, String> after = files("/runs");
    for (Map.Entry<String, String> e : before.entrySet()) {
      if (e.getKey().contains("/models/") || e.getKey().contains("/cache/")) {
        assertEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " untouched by --from eval");
      }
    }
    assertFalse(before.get("/runs/tiny/report/index.html").equals(after.get("/runs/tiny/report/index.html")),
        "the report is written again");
    assertEquals(cwdBefore, names(cwd), "nothing new in the working folder");
  }

  private static void deleteTree(Path p) throws Exception {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
