package dev.retort.teacher.generate;

import static dev.retort.teacher.generate.TestRuns.assertExactlyOnce;
import static dev.retort.teacher.generate.TestRuns.config;
import static dev.retort.teacher.generate.TestRuns.mainRows;
import static dev.retort.teacher.generate.TestRuns.shardFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.SharedSpark;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.Trace;
import dev.retort.core.io.Json;
import dev.retort.core.run.StageOutput;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ScriptedBackend;
import dev.retort.teacher.server.ServerOptions;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark job in local mode: output Spark can read, and reruns after a cancelled job and a killed driver. */
class GenerateJobTest {
  @TempDir Path work;

  private static Set<String> keys(GenerateStage st) {
    Set<String> out = new HashSet<>();
    for (Prompt p : st.prompts()) {
      for (int i = 0; i < st.settings().samplesPerPrompt(); i++) {
        out.add(p.id() + "#" + i);
      }
    }
    return out;
  }

  /** The scripted teacher decoding 3 ms per token, as a model would: answers take about a tenth of a second. */
  private static ScriptedBackend slowTeacher() {
    return new ScriptedBackend(ScriptedBackend::defaultScript, Duration.ofMillis(3), Integer.MAX_VALUE);
  }

  @Test
  void generatesTracesThatSparkReads() throws Exception {
    SparkSession spark = SharedSpark.get();
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.defaults())) {
      RetortConfig cfg = config(work, s.url());
      GenerateResult r = GenerateJob.run(cfg, spark);
      assertEquals(48, r.succeeded());
      assertEquals(4, r.shardsProcessed());
      GenerateStage st = GenerateStage.prepare(cfg);
      assertExactlyOnce(st.traces().localPath(), keys(st));
      // provenance.json and stats.json sit next to the shards: Spark readers keep to *.parquet.
      Dataset<Row> df = spark.read().option("pathGlobFilter", "*.parquet").parquet(st.traces().localPath().toString());
      Set<String> seen = new HashSet<>();
      for (Row row : df.select("prompt_id", "sample_index", "error").collectAsList()) {
        assertTrue(seen.add(row.getString(0) + "#" + row.getInt(1)), "Spark sees each pair once");
        assertTrue(row.isNullAt(2));
      }
      assertEquals(keys(st), seen);
      assertTrue(StageOutput.isComplete(st.traces().localPath(), st.identity()));
      assertTrue(GenerateJob.run(cfg, spark).skipped());
    }
  }

  @Test
  void inProcessDjlTeacherOnExecutors() throws Exception {
    Path ck = dev.retort.teacher.djl.DjlBackendTest.tinyCheckpoint(work.resolve("ck"));
    RetortConfig cfg = RetortConfig.defaults("run.work-dir=" + work, "run.run-id=djl", "teacher.backend=djl",
        "teacher.djl.checkpoint=" + Json.toJson(ck.toString()), "teacher.model=tiny", "teacher.djl.device=cpu",
        "generate.limit=4", "generate.samples-per-prompt=2", "generate.shards=2", "generate.max-tokens=8");
    GenerateResult r = GenerateJob.run(cfg, SharedSpark.get());
    assertEquals(8, r.succeeded());
    GenerateStage st = GenerateStage.prepare(cfg);
    assertExactlyOnce(st.traces().localPath(), keys(st));
    for (Trace t : mainRows(st.traces().localPath())) {
      assertEquals("tiny", t.teacherId());
      assertTrue(t.completionTokens() >= 1 && t.completionTokens() <= 8, "tokens " + t.completionTokens());
    }
  }

  @Test
  void rerunAfterACancelledJobSkipsCommittedShards() throws Exception {
    SparkSession spark = SharedSpark.get();
    // Slow teacher and a small in-flight bound: the job takes seconds, so it can be stopped midway.
    try (OpenAiServer s = OpenAiServer.start(slowTeacher(), ServerOptions.defaults())) {
      RetortConfig cfg = config(work, s.url(), "generate.shards=8", "teacher.max-in-flight-per-executor=2");
      GenerateStage st = GenerateStage.prepare(cfg);
      CompletableFuture<GenerateResult> first = CompletableFuture.supplyAsync(() -> GenerateJob.run(cfg, spark));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (shardFiles(st.traces().localPath()) < 2 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      spark.sparkContext().cancelJobGroup("retort-generate");
      assertThrows(Exception.class, () -> first.get(60, TimeUnit.SECONDS));
      int committed = shardFiles(st.traces().localPath());
      assertTrue(committed >= 2 && committed < st.shards().size(), "committed " + committed + " of " + st.shards().size());
      Map<String, Trace> before = new HashMap<>();
      mainRows(st.traces().localPath()).forEach(t -> before.put(t.key(), t));

      GenerateResult r = GenerateJob.run(cfg, spark);
      assertEquals(48, r.succeeded());
      assertTrue(r.shardsProcessed() <= st.shards().size() - committed, r.toString());
      assertExactlyOnce(st.traces().localPath(), keys(st));
      for (Trace t : mainRows(st.traces().localPath())) {
        if (before.containsKey(t.key())) {
          assertEquals(before.get(t.key()), t, "committed rows untouched by the rerun");
        }
      }
    }
  }

  @Test
  void rerunAfterTheDriverJvmIsKilled() throws Exception {
    try (OpenAiServer s = OpenAiServer.start(slowTeacher(), ServerOptions.defaults())) {
      List<String> sets = List.of("run.work-dir=" + work, "run.run-id=t", "teacher.endpoints=[\"" + s.url() + "\"]",
          "teacher.model=retort", "teacher.max-in-flight-per-executor=2", "generate.limit=24",
          "generate.samples-per-prompt=2", "generate.shards=8", "generate.max-tokens=200");
      RetortConfig cfg = RetortConfig.defaults(sets.toArray(String[]::new));
      GenerateStage st = GenerateStage.prepare(cfg);
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
          .filter(a -> a.startsWith("--add-opens") || a.startsWith("-D") && !a.startsWith("-Dbasedir")).toList());
      cmd.add("-Xmx1g");
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(GenerateJob.class.getName());
      for (String x : sets) {
        cmd.add("--set");
        cmd.add(x);
      }
      File log = work.resolve("child.log").toFile();
      Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (shardFiles(st.traces().localPath()) < 2 && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(child.isAlive(), "child ended early: " + Files.readString(log.toPath()));
      child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      int committed = shardFiles(st.traces().localPath());
      assertTrue(committed < st.shards().size(), "killed before the end, committed " + committed);

      GenerateResult r = GenerateJob.run(cfg, SharedSpark.get());
      assertEquals(48, r.succeeded());
      assertExactlyOnce(st.traces().localPath(), keys(st));
      assertTrue(StageOutput.isComplete(st.traces().localPath(), st.identity()));
    }
  }
}
