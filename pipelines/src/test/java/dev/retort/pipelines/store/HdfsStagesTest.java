package dev.retort.pipelines.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.RunLayout;
import dev.retort.core.run.StageOutput;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import dev.retort.filter.job.FilterJob;
import dev.retort.filter.job.FilterResult;
import dev.retort.teacher.generate.GenerateJob;
import dev.retort.teacher.generate.GenerateResult;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ScriptedBackend;
import dev.retort.teacher.server.ServerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * generate then filter with the run folder on a real HDFS (one in-JVM namenode and datanode,
 * started once for the class): the same rows as a run on local disk, the manifest lists exactly
 * the committed shards, and nothing lands on local disk under a folder named after the URI.
 */
class HdfsStagesTest {
  @TempDir static Path tmp;
  private static MiniDFSCluster cluster;
  private static String hdfs;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("dfs").toString());
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    hdfs = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
    spark = SparkSession.builder().master("local[2]").appName("retort-hdfs-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  private static RetortConfig config(String workDir, String endpoint) {
    return RetortConfig.defaults(
        "run.work-dir=\"" + workDir + "\"",
        "run.run-id=h",
        "teacher.endpoints=[\"" + endpoint + "\"]",
        "teacher.model=retort",
        "teacher.request-timeout=5s",
        "generate.prompts=arith",
        "generate.limit=24",
        "generate.samples-per-prompt=2",
        "generate.shards=4",
        "generate.max-tokens=200");
  }

  private record Run(List<String> traces, List<String> accepted, long filtered) {}

  private static Run run(RetortConfig cfg) {
    GenerateResult g = GenerateJob.run(cfg, spark);
    assertEquals(48, g.succeeded());
    RunLayout layout = RunSettings.from(cfg).layout();
    FilterResult f = FilterJob.run(spark, cfg, layout.traces(), layout.filtered());
    assertEquals(48, f.traces());
    List<String> traces = new ArrayList<>();
    for (Trace t : ParquetIO.read(layout.traces(), Codecs.TRACE)) {
      traces.add(t.key() + "|" + t.answer() + "|" + t.reasoning());
    }
    List<String> accepted = new ArrayList<>();
    for (Verdict v : ParquetIO.read(layout.accepted(), Codecs.VERDICT)) {
      accepted.add(v.trace().key() + "|" + v.accepted());
    }
    traces.sort(null);
    accepted.sort(null);
    return new Run(traces, accepted, f.accepted());
  }

  @Test
  void generateAndFilterOnHdfsMatchALocalRun() throws Exception {
    Path cwd = Path.of("").toAbsolutePath();
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.defaults())) {
      RetortConfig onHdfs = config(hdfs + "/runs", s.url());
      Run remote = run(onHdfs);
      Run local = run(config(tmp.resolve("local").toString(), s.url()));
      assertEquals(local.traces(), remote.traces(), "same traces on HDFS as on local disk");
      assertEquals(local.accepted(), remote.accepted(), "same verdicts");
      assertTrue(remote.filtered() > 0);

      RunLayout layout = RunSettings.from(onHdfs).layout();
      assertEquals("hdfs", layout.root().scheme());
      Manifest m = Manifest.read(layout.traces());
      TreeSet<String> listed = new TreeSet<>();
      m.files().forEach(e -> listed.add(e.path()));
      TreeSet<String> present = new TreeSet<>();
      for (Location l : Store.of(layout.traces()).list(layout.traces())) {
        if (l.name().startsWith("shard-")) {
          present.add(l.name());
        }
      }
      assertEquals(present, listed, "_SUCCESS lists exactly the committed shards");
      assertTrue(StageOutput.isComplete(layout.filtered(), null));
      assertTrue(Store.of(layout.accepted()).isFile(layout.accepted().resolve("_SUCCESS")));
      // A rerun finds both outputs complete.
      assertTrue(GenerateJob.run(onHdfs, spark).skipped());
      assertTrue(FilterJob.run(spark, onHdfs, layout.traces(), layout.filtered()).skipped());
    }
    try (var list = Files.list(cwd)) {
      assertFalse(list.anyMatch(p -> p.getFileName().toString().startsWith("hdfs")), "nothing written to a local folder named after the URI");
    }
  }
}
