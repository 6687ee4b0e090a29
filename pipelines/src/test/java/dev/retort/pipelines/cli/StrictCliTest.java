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
