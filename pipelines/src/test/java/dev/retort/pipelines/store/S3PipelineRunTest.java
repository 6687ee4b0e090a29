package dev.retort.pipelines.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.StageOutput;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import dev.retort.core.store.Stores;
import dev.retort.pipelines.TinyPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code retort run conf/local.conf --set run.work-dir=s3a://...} against a real S3-compatible
 * server (S3Proxy on loopback), configured the way a user does it: {@code spark.hadoop.fs.s3a.*}
 * settings as system properties (what spark-submit's {@code --conf} or {@code RETORT_JAVA_OPTS=-D...}
 * give the driver). Every stage's output lands in the bucket, committed by its manifest, nothing in
 * the launch folder; a rerun skips every stage and rewrites nothing.
 */
class S3PipelineRunTest {
  @TempDir static Path tmp;
  private static S3Fixture s3;
  private static Configuration storesBefore;
  private static final Map<String, String> PROPS_BEFORE = new TreeMap<>();
  private static final String WORK = "s3a://retort/runs";

  @BeforeAll
  static void start() throws Exception {
    s3 = new S3Fixture(tmp.resolve("s3"), "retort");
    List<String> keys = new ArrayList<>(s3.hadoopSettings().keySet().stream().map(k -> "spark.hadoop." + k).toList());
    keys.add("retort.cache-dir");
    for (String k : keys) {
      PROPS_BEFORE.put(k, System.getProperty(k));
    }
    System.setProperty("retort.cache-dir", tmp.resolve("cache").toString());
    s3.hadoopSettings().forEach((k, v) -> System.setProperty("spark.hadoop." + k, v));
    storesBefore = Stores.conf();
    // Stores of this JVM were made before the properties were set (other tests): read them again,
    // as a fresh driver does on its first store.
    Configuration c = new Configuration(storesBefore);
    s3.hadoopSettings().forEach(c::set);
    Stores.configure(c);
  }

  @AfterAll
  static void stop() throws Exception {
    PROPS_BEFORE.forEach((k, v) -> {
      if (v == null) {
        System.clearProperty(k);
      } else {
        System.setProperty(k, v);
      }
    });
    if (storesBefore != null) {
      Stores.configure(storesBefore);
    }
    if (s3 != null) {
      s3.close();
    }
  }

  private static String[] args() {
    List<String> a = new ArrayList<>(List.of("run", Path.of("..", "conf", "local.conf").toString(),
        "--set", "run.work-dir=\"" + WORK + "\"", "--set", "run.run-id=tiny"));
    a.addAll(TinyPipeline.settings());
    return a.toArray(String[]::new);
  }

  /** Every object under {@code root} with its length and modification time. */
  private static Map<String, String> objects(Location root) throws Exception {
    Map<String, String> out = new TreeMap<>();
    org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.newInstance(root.uri(), Stores.conf());
    try {
      var it = fs.listFiles(new org.apache.hadoop.fs.Path(root.uri()), true);
      while (it.hasNext()) {
        var s = it.next();
        out.put(s.getPath().toUri().getPath(), s.getLen() + "@" + s.getModificationTime());
      }
    } finally {
      fs.close();
    }
    return out;
  }

  private static Set<String> names(Path dir) throws Exception {
    try (var list = Files.list(dir)) {
      return new TreeSet<>(list.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void everyStageWritesIntoTheBucketAndARerunSkipsThem() throws Exception {
    Path cwd = Path.of("").toAbsolutePath();
    Set<String> cwdBefore = names(cwd);
    String out = TinyPipeline.run(args());
    assertTrue(out.contains("RESULT e2e teacher_acc="), out);

    Location root = Location.of(WORK + "/tiny");
    Store store = Store.of(root);
    assertEquals(12, ParquetIO.read(root.resolve("traces"), Codecs.TRACE).size(), "6 prompts x 2 samples, exactly once");
    for (String o : List.of("prompts", "traces", "filtered", "filtered/sft", "models/base", "models/student",
        "models/student-unfiltered", "models/rl-student")) {
      assertTrue(StageOutput.isComplete(root.resolve(o), null), o + " complete in the bucket");
    }
    Manifest traces = Manifest.read(root.resolve("traces"));
    assertEquals(2, traces.files().size(), "the traces manifest lists both committed shards: " + traces.files());
    for (String m : List.of("teacher", "student", "student-unfiltered", "rl-student", "base")) {
      assertTrue(StageOutput.isComplete(root.resolve("eval/" + m + "/arith"), null), "eval of " + m);
    }
    for (String f : List.of("report/index.html", "report/provenance.json", "models/student/config.json",
        "models/student/provenance.json", "logs/server-0.log")) {
      assertTrue(store.isFile(root.resolve(f)), f + " in the bucket");
    }
    assertEquals(cwdBefore, names(cwd), "nothing new in the working folder");
    assertEquals(Set.of("cache", "s3"), names(tmp), "on local disk only the cache (and the server's own storage)");

    Map<String, String> before = objects(Location.of(WORK));
    TinyPipeline.run(args());
    assertEquals(before, objects(Location.of(WORK)), "a rerun skips every stage");
  }
}
