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
import org.apache.spark.sql.SparkSession;

/**
 * Every stage with the run folder at {@code work} (a URI on some store), shared by the tests of
 * each store: generate -> filter, compared with the same run on local disk; train (through the
 * CLI) reads filtered/sft from the store and publishes its checkpoint there; eval loads it from
 * there and publishes results and report.
 */
final class StoreStages {
  private StoreStages() {}

  static RetortConfig config(String workDir, String endpoint) {
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

  record Run(List<String> traces, List<String> accepted, long filtered) {}

  static Run run(SparkSession spark, RetortConfig cfg) {
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

  /** generate and filter at {@code work} and at {@code localWork}: the same traces and verdicts; the manifest lists the shards; reruns skip. */
  static void generateAndFilter(SparkSession spark, String work, Path localWork) throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.defaults())) {
      RetortConfig onStore = config(work, s.url());
      Run remote = run(spark, onStore);
      Run local = run(spark, config(localWork.toString(), s.url()));
      assertEquals(local.traces(), remote.traces(), "same traces on the store as on local disk");
      assertEquals(local.accepted(), remote.accepted(), "same verdicts");
      assertTrue(remote.filtered() > 0);

      RunLayout layout = RunSettings.from(onStore).layout();
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
      assertTrue(GenerateJob.run(onStore, spark).skipped());
      assertTrue(FilterJob.run(spark, onStore, layout.traces(), layout.filtered()).skipped());
    }
  }

  /** train reads filtered/sft from the store and publishes models/student there; eval loads it from there and publishes its report. */
  static void trainAndEval(String work) throws Exception {
    List<String> args = new ArrayList<>(List.of("train", "--set", "run.work-dir=\"" + work + "\"", "--set", "run.run-id=h"));
    for (String set : List.of("train.model.hidden-size=32", "train.model.num-layers=1", "train.model.num-heads=2",
        "train.model.num-kv-heads=1", "train.model.intermediate-size=64", "train.seq-len=512", "train.batch-size=4",
        "train.max-steps=3", "train.warmup-steps=1", "train.threads=1", "train.devices=cpu")) {
      args.addAll(List.of("--set", set));
    }
    assertEquals(0, dev.retort.pipelines.RetortCli.execute(args.toArray(String[]::new)));
    Location student = Location.of(work + "/h/models/student");
    Store store = Store.of(student);
    assertTrue(store.isFile(student.resolve("config.json")), "checkpoint published to the store");
    assertTrue(StageOutput.isComplete(student, null), "with its marker");

    RetortConfig eval = RetortConfig.fromString("""
        run { work-dir = "%s", run-id = h, seed = 7 }
        arith { test-size = 5 }
        eval {
          models = [ { name = student, checkpoint = student, role = distilled } ]
          benchmarks = [ { name = arith, template = plain, k = 1, max-tokens = 4, limit = 2 } ]
          batch-size = 2
          chunk-size = 2
          device = cpu
        }
        """.formatted(work), "store-test.conf");
    dev.retort.eval.EvalJob.Result r = dev.retort.eval.EvalJob.run(eval);
    assertTrue(r.failures().isEmpty(), r.failures().toString());
    Location report = Location.of(work + "/h/report");
    assertTrue(store.isFile(report.resolve("index.html")), "report published to the store");
    assertFalse(store.list(Location.of(work + "/h/eval/student")).isEmpty(), "per-sample results on the store");
  }
}
