package dev.retort.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.Trace;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.pipelines.RetortCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20 through the CLI: config mistakes in any section of any stage fail before any work with
 * a did-you-mean, and a stage failure is one line on stderr.
 */
class StrictCliTest {
  @TempDir Path dir;

  private static final String LOCAL_CONF = Path.of("..", "conf", "local.conf").toString();

  private CliRun run(String... more) {
    List<String> a = new java.util.ArrayList<>(List.of("run", LOCAL_CONF, "--set", "run.work-dir=" + dir.resolve("work")));
    a.addAll(List.of(more));
    return CliRun.of(a.toArray(String[]::new));
  }

  private void failsBeforeAnyWork(CliRun r, String... expected) {
    assertEquals(RetortCli.USAGE, r.code(), r.err());
    for (String e : expected) {
      assertTrue(r.err().contains(e), "'" + e + "' in: " + r.err());
    }
    assertFalse(Files.exists(dir.resolve("work")), "no run folder: nothing started");
  }

  @Test
  void unknownKeyOfALateStageFailsBeforeAnyWork() {
    failsBeforeAnyWork(run("--set", "filter.dedupp-traces=false"), "filter.dedupp-traces", "did you mean 'dedup-traces'?");
  }

  @Test
  void verboseAfterTheSubcommandAddsTheStackTrace() {
    CliRun quiet = run("--set", "filter.dedupp-traces=false");
    assertFalse(quiet.err().contains("\tat "), quiet.err());
    CliRun verbose = run("--verbose", "--set", "filter.dedupp-traces=false");
    assertTrue(verbose.err().contains("\tat dev.retort.core.config.ConfigBinder"), verbose.err());
  }

  @Test
  void misspeltSectionInSetFailsWithDidYouMean() {
    failsBeforeAnyWork(run("--set", "fliter.dedup-traces=false"), "unknown section; did you mean 'filter'?", "fliter");
    failsBeforeAnyWork(run("--set", "genrate.samples-per-prompt=2"), "did you mean 'generate'?");
  }

  @Test
  void misspeltSectionInTheFileFails() throws Exception {
    Path conf = dir.resolve("typo.conf");
    Files.writeString(conf, "include \"" + Path.of(LOCAL_CONF).toAbsolutePath() + "\"\nevl { batch-size = 4 }\n");
    CliRun r = CliRun.of("run", conf.toString(), "--set", "run.work-dir=" + dir.resolve("work"));
    failsBeforeAnyWork(r, "evl", "did you mean 'eval'?", "typo.conf");
  }

  @Test
  void wrongTypeInEvalFailsBeforeAnyWork() {
    failsBeforeAnyWork(run("--set", "eval.batch-size=many"), "eval.batch-size");
  }

  @Test
  void standaloneCommandsCheckSectionsToo() {
    CliRun f = CliRun.of("filter", "--set", "genrate.x=1", "--input", dir.resolve("t").toString(),
        "--output", dir.resolve("f").toString());
    assertEquals(RetortCli.USAGE, f.code(), f.err());
    assertTrue(f.err().contains("did you mean 'generate'?"), f.err());
    CliRun g = CliRun.of("generate", "--set", "fliter.x=1", "--output", dir.resolve("t").toString());
    assertEquals(RetortCli.USAGE, g.code(), g.err());
    assertTrue(g.err().contains("did you mean 'filter'?"), g.err());
  }

  @Test
  void sparkTaskFailureIsOneLineWithoutVerbose() throws Exception {
    // A shard whose footer is intact but whose data pages are not: only Spark's read finds out.
    // What the CLI prints is checked here; Spark's own task logs go through log4j, whose test
    // configuration (a module's log4j2-test.properties) differs from bin/retort's log4j2.properties.
    Path traces = dir.resolve("traces");
    List<Trace> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      rows.add(new Trace("p-" + i, 0, "teacher", "unit", "What is " + i + "+1?", Integer.toString(i + 1),
          dev.retort.core.data.AnswerType.NUMBER, new dev.retort.core.data.SamplingParams(0.6, 0.95, 0, 64, (long) i),
          "we add one to " + i + " and get " + (i + 1) + " " + "x".repeat(i % 50), "\\boxed{" + (i + 1) + "}", "stop", 5, 5, 5, null));
    }
    Path shard = traces.resolve("shard-00000.parquet");
    ParquetIO.write(shard, Codecs.TRACE, rows);
    byte[] b = Files.readAllBytes(shard);
    java.util.Random rnd = new java.util.Random(1);
    for (int i = 4; i < b.length / 2; i++) {
      b[i] = (byte) rnd.nextInt();
    }
    Files.write(shard, b);
    dev.retort.core.run.StageOutput.complete(dev.retort.core.store.Location.local(traces),
        dev.retort.core.run.Provenance.of("generate", "h", java.util.Map.of(), 42, java.util.Map.of(), java.util.Map.of()), null,
        List.of(new dev.retort.core.store.Manifest.Entry("shard-00000.parquet", b.length, -1)));
    CliRun r = CliRun.of("filter", "--input", traces.toString(), "--output", dir.resolve("filtered").toString());
    assertEquals(RetortCli.FAILED, r.code(), r.err());
    assertFalse(r.err().contains("\tat "), "no stack traces without --verbose: " + r.err());
    assertTrue(r.err().lines().count() <= 3, r.err());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("retort filter: ")).count(), r.err());
  }

  @Test
  void filterOnAnIncompleteTracesFolderIsOneLineNamingFolderAndCommand() throws Exception {
    Path traces = dir.resolve("traces");
    Trace t = new Trace("p-1", 0, "teacher", "unit", "What is 1+1?", "2", dev.retort.core.data.AnswerType.NUMBER,
        new dev.retort.core.data.SamplingParams(0.6, 0.95, 0, 64, 1L), "one and one", "\\boxed{2}", "stop", 5, 5, 5, null);
    ParquetIO.write(traces.resolve("shard-00000.parquet"), Codecs.TRACE, List.of(t));
    CliRun r = CliRun.of("filter", "--input", traces.toString(), "--output", dir.resolve("filtered").toString());
    assertEquals(RetortCli.FAILED, r.code(), r.err());
    List<String> lines = r.err().lines().filter(l -> l.startsWith("retort ")).toList();
    assertEquals(1, lines.size(), r.err());
    assertTrue(lines.get(0).contains(traces + " is not a complete generate output (no _SUCCESS)")
        && lines.get(0).contains("retort generate --output " + traces) && lines.get(0).contains("--allow-incomplete"), lines.get(0));
    assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
    assertFalse(Files.exists(dir.resolve("filtered/_SUCCESS")));

    CliRun ok = CliRun.of("filter", "--allow-incomplete", "--input", traces.toString(), "--output", dir.resolve("filtered").toString());
    assertEquals(RetortCli.OK, ok.code(), ok.err());
    assertTrue(ok.out().contains("\"bad_files\":0"), ok.out());
  }
}
