package dev.retort.pipelines.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.store.Location;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every stage with the run folder on a real HDFS (one in-JVM namenode and datanode, started once
 * for the class), through {@link StoreStages}; and nothing lands on local disk under a folder
 * named after the URI (the local cache aside).
 */
class HdfsStagesTest {
  @TempDir static Path tmp;
  private static HdfsFixture dfs;
  private static String hdfs;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    System.setProperty("retort.cache-dir", tmp.resolve("cache").toString());
    dfs = new HdfsFixture(tmp.resolve("dfs"));
    hdfs = dfs.uri();
    spark = dev.retort.core.SharedSpark.get();
  }

  @AfterAll
  static void stop() {
    if (dfs != null) {
      dfs.close();
    }
  }

  @Test
  void everyStageOnHdfs() throws Exception {
    Path cwd = Path.of("").toAbsolutePath();
    String work = hdfs + "/runs";
    assertEquals("hdfs", RunSettings.from(StoreStages.config(work, "http://unused/v1")).layout().root().scheme());
    StoreStages.generateAndFilter(spark, work, tmp.resolve("local"));
    StoreStages.trainAndEval(work);
    try (var list = Files.list(cwd)) {
      assertFalse(list.anyMatch(p -> p.getFileName().toString().startsWith("hdfs")), "nothing written to a local folder named after the URI");
    }
  }

  /**
   * teacher.backend = djl with the checkpoint on HDFS: each executor JVM copies it into its own
   * cache folder and generates from it.
   */
  @Test
  void djlTeacherCheckpointFromHdfs() throws Exception {
    Path ck = dev.retort.model.TinyCheckpoints.chatml(tmp.resolve("ck"));
    Location remote = Location.of(hdfs + "/models/tiny-teacher");
    dev.retort.core.store.Stores.publish(ck, remote);
    String work = hdfs + "/djl-runs";
    RetortConfig cfg = RetortConfig.defaults("run.work-dir=\"" + work + "\"", "run.run-id=djl", "teacher.backend=djl",
        "teacher.djl.checkpoint=\"" + remote + "\"", "teacher.model=tiny", "teacher.djl.device=cpu",
        "generate.limit=3", "generate.samples-per-prompt=2", "generate.shards=2", "generate.max-tokens=6");
    dev.retort.teacher.generate.GenerateResult r = dev.retort.teacher.generate.GenerateJob.run(cfg, spark);
    assertEquals(6, r.succeeded());
    List<dev.retort.core.data.Trace> rows = dev.retort.core.io.ParquetIO.read(Location.of(work + "/djl/traces"),
        dev.retort.core.io.Codecs.TRACE);
    assertEquals(6, rows.size());
    assertEquals(remote.toString(), dev.retort.core.run.Provenance.read(Location.of(work + "/djl/traces")).models().get("teacher"),
        "provenance names the checkpoint by its URI");
  }
}
