package dev.retort.teacher.generate;

import static dev.retort.teacher.generate.TestRuns.assertExactlyOnce;
import static dev.retort.teacher.generate.TestRuns.config;
import static dev.retort.teacher.generate.TestRuns.errorRows;
import static dev.retort.teacher.generate.TestRuns.mainRows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.data.Completions;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.Trace;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.StageOutput;
import dev.retort.model.ChatMessage;
import dev.retort.teacher.TeacherClient;
import dev.retort.teacher.TeacherClients;
import dev.retort.teacher.TeacherSettings;
import dev.retort.teacher.server.Completion;
import dev.retort.teacher.server.CompletionRequest;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ScriptedBackend;
import dev.retort.teacher.server.ServerOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stage without Spark: exactly-once commits, errors and their retry, crash states, rejects, identity. */
class GenerateStageTest {
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

  private static GenerateResult runOnce(GenerateStage st) {
    try (TeacherClient c = TeacherClients.create(st.teacher(), List.of())) {
      return st.runInProcess(c, GenerationListener.NONE);
    }
  }

  @Test
  void writesEveryPairOnceWithDerivedSeedsAndMarkers() throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.defaults())) {
      GenerateStage st = GenerateStage.prepare(config(work, s.url()));
      GenerateResult r = runOnce(st);
      assertEquals(24, r.prompts());
      assertEquals(48, r.expected());
      assertEquals(48, r.succeeded());
      assertEquals(0, r.errors());
      assertEquals(48, r.requests());
      assertExactlyOnce(st.traces().localPath(), keys(st));

      // Every row is what the teacher answers for its own derived seed and the default template.
      Map<String, Prompt> byId = new HashMap<>();
      st.prompts().forEach(p -> byId.put(p.id(), p));
      for (Trace t : mainRows(st.traces().localPath())) {
        Prompt p = byId.get(t.promptId());
        long seed = Seeds.sampleSeed(st.settings().seed(), p.id(), t.sampleIndex());
        assertEquals(seed, t.sampling().seed());
        String user = p.problem() + "\n" + Completions.MATH_SUFFIX;
        Completion want = ScriptedBackend.defaultScript(new CompletionRequest(List.of(ChatMessage.user(user)),
            new SamplingParams(0.6, 0.95, 0, 200, seed), List.of()));
        assertEquals(want.reasoning(), t.reasoning());
        assertEquals(want.answer(), t.answer());
        assertEquals("retort", t.teacherId());
        assertEquals(p.problem(), t.problem());
        assertEquals(p.referenceAnswer(), t.referenceAnswer());
        assertEquals(Seeds.shardOf(p.id(), 4), ShardFiles.shardOf(
            ShardFiles.name(Seeds.shardOf(p.id(), 4), 4)));
      }
      // Rows sit in the shard their prompt id hashes to.
      for (int shard : st.shards()) {
        for (Trace t : ParquetIO.read(ShardFiles.main(st.traces(), shard, 4), Codecs.TRACE)) {
          assertEquals(shard, Seeds.shardOf(t.promptId(), 4));
        }
      }
      assertTrue(StageOutput.isComplete(st.traces().localPath(), st.identity()));
      JsonNode stats = Json.read(st.traces().localPath().resolve("stats.json"));
      assertEquals(48, stats.get("succeeded").asLong());
      assertEquals(1.0, stats.get("completed").asDouble());
      assertTrue(Files.isRegularFile(st.traces().localPath().resolve("provenance.json")));
      assertEquals(24, ParquetIO.read(work.resolve("t/prompts"), Codecs.PROMPT).size());
      assertTrue(StageOutput.isComplete(work.resolve("t/prompts"), null));

      // A rerun of a complete folder does nothing.
      long before = s.stats().requests.get();
      GenerateResult again = runOnce(GenerateStage.prepare(config(work, s.url())));
      assertTrue(again.skipped());
      assertEquals(before, s.stats().requests.get());
    }
  }

  @Test
  void failedRequestsGoToErrorsAndTheNextRunRetriesOnlyThem() throws Exception {
    AtomicBoolean failing = new AtomicBoolean(true);
    ScriptedBackend flaky = new ScriptedBackend(r -> {
      if (failing.get() && Math.floorMod(r.userText().hashCode(), 3) == 0) {
        throw new IllegalStateException("backend down for this one");
      }
      return ScriptedBackend.defaultScript(r);
    });
    // Batches of one: a backend failure fails its whole batch, and this test wants per-prompt failures.
    try (OpenAiServer s = OpenAiServer.start(flaky, ServerOptions.builder().maxBatch(1).build())) {
      GenerateStage st = GenerateStage.prepare(config(work, s.url(), "teacher.max-retries=1", "teacher.eject-after-failures=1000"));
      GenerateResult r1 = runOnce(st);
      assertTrue(r1.errors() > 0 && r1.succeeded() > 0, r1.toString());
      assertEquals(48, r1.errors() + r1.succeeded());
      List<Trace> errs = errorRows(st.traces().localPath());
      assertEquals(r1.errors(), errs.size());
      for (Trace e : errs) {
        assertEquals("error", e.finishReason());
        assertTrue(e.error().contains("http 500") && e.error().contains("gave up after 2 attempts"), e.error());
      }
      Set<String> mainKeys = new HashSet<>();
      Map<String, Trace> firstRun = new HashMap<>();
      for (Trace t : mainRows(st.traces().localPath())) {
        mainKeys.add(t.key());
        firstRun.put(t.key(), t);
      }
      for (Trace e : errs) {
        assertFalse(mainKeys.contains(e.key()), "a key is in main or errors, not both");
      }
      assertFalse(GenerateStage.prepare(config(work, s.url())).isComplete(), "errors keep the stage open for a retry");

      failing.set(false);
      long before = s.stats().requests.get();
      GenerateResult r2 = runOnce(GenerateStage.prepare(config(work, s.url(), "teacher.max-retries=1")));
      assertEquals(0, r2.errors());
      assertEquals(48, r2.succeeded());
      assertEquals(r1.errors(), r2.generated(), "only the error rows were asked again");
      assertEquals(r1.errors(), s.stats().requests.get() - before);
      assertExactlyOnce(st.traces().localPath(), keys(st));
      for (Trace t : mainRows(st.traces().localPath())) {
        if (firstRun.containsKey(t.key())) {
          assertEquals(firstRun.get(t.key()), t, "earlier successes are kept as they were");
        }
      }
    }
  }

  @Test
  void rerunRepairsEveryCrashPointOfTheCommitProtocol() throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.defaults())) {
      GenerateStage st = GenerateStage.prepare(config(work, s.url()));
      runOnce(st);
      Path traces = st.traces().localPath();
      List<Integer> shards = st.shards();
      assertTrue(shards.size() >= 3, "need three shards, have " + shards);
      // Crash after step B, before C: a stale error row whose key is also in main.
      int b = shards.get(0);
      Path mainB = ShardFiles.main(dev.retort.core.store.Location.local(traces), b, 4).localPath();
      List<Trace> rowsB = ParquetIO.read(mainB, Codecs.TRACE);
      Trace stale = rowsB.get(0);
      ParquetIO.write(ShardFiles.errors(dev.retort.core.store.Location.local(traces), b, 4), Codecs.TRACE, List.of(asError(stale)));
      // Crash after step A of a retry, before B: main lacks two keys that errors still holds.
      int a = shards.get(1);
      Path mainA = ShardFiles.main(dev.retort.core.store.Location.local(traces), a, 4).localPath();
      List<Trace> rowsA = new ArrayList<>(ParquetIO.read(mainA, Codecs.TRACE));
      Trace e1 = rowsA.remove(0);
      Trace e2 = rowsA.remove(0);
      ParquetIO.write(mainA, Codecs.TRACE, rowsA);
      ParquetIO.write(ShardFiles.errors(dev.retort.core.store.Location.local(traces), a, 4), Codecs.TRACE, List.of(asError(e1), asError(e2)));
      // Crash after step A of a first attempt: errors written, main never committed; plus a temporary
      // file left by a writer killed mid-write.
      int c = shards.get(2);
      Path mainC = ShardFiles.main(dev.retort.core.store.Location.local(traces), c, 4).localPath();
      Files.delete(mainC);
      ParquetIO.write(ShardFiles.errors(dev.retort.core.store.Location.local(traces), c, 4), Codecs.TRACE, List.of(asError(rowsB.get(1))));
      Files.writeString(traces.resolve("." + mainC.getFileName() + ".tmp-99-1"), "partial garbage");
      StageOutput.invalidate(traces);

      long before = s.stats().requests.get();
      GenerateStage again = GenerateStage.prepare(config(work, s.url()));
      assertEquals(List.of(b, a, c).stream().sorted().toList(), again.pendingShards());
      GenerateResult r = runOnce(again);
      assertEquals(48, r.succeeded());
      assertExactlyOnce(traces, keys(st));
      long cPairs = 2L * st.prompts(c).size();
      assertEquals(2 + cPairs, s.stats().requests.get() - before, "asked only for the two lost keys and shard c");
      assertTrue(StageOutput.isComplete(traces, st.identity()));
    }
  }

  private static Trace asError(Trace t) {
    return new Trace(t.promptId(), t.sampleIndex(), t.teacherId(), t.source(), t.problem(), t.referenceAnswer(),
        t.answerType(), t.sampling(), null, null, "error", 0, 0, 1, "http 503: injected");
  }

  @Test
  void emptyOrAllMalformedPromptFileIsAnErrorUnlessAllowed() throws Exception {
    Path empty = Files.writeString(work.resolve("empty.jsonl"), "");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> GenerateStage.prepare(config(work, "http://127.0.0.1:1/v1", "generate.prompts=" + empty)));
    assertTrue(e.getMessage().contains("no prompts in " + empty) && e.getMessage().contains("inputs.allow-empty"), e.getMessage());
    Path bad = Files.writeString(work.resolve("bad.jsonl"), "{\"id\":\"p3\",\"answer\":\"1\"}\n");
    e = assertThrows(IllegalStateException.class,
        () -> GenerateStage.prepare(config(work, "http://127.0.0.1:1/v1", "generate.prompts=" + bad)));
    assertTrue(e.getMessage().contains("1 rows rejected as malformed: first missing_problem"), e.getMessage());
    assertEquals(0, GenerateStage.prepare(config(work, "http://127.0.0.1:1/v1", "generate.prompts=" + empty,
        "inputs.allow-empty=true")).prompts().size());
  }

  @Test
  void malformedPromptRowsGoToRejectsAndTheJobContinues() throws Exception {
    Path in = work.resolve("prompts.jsonl");
    try (var out = Files.newOutputStream(in)) {
      out.write(("{\"id\":\"p1\",\"problem\":\"What is 2+2?\",\"answer\":\"4\"}\n"
          + "{\"id\":\"p2\",\"problem\":\"What is 3+3?\",\"answer\":\"6\"}\n"
          + "{not json\n"
          + "{\"id\":\"p3\",\"answer\":\"1\"}\n"
          + "{\"id\":\"p4\",\"problem\":\"" + "x".repeat(300) + "\",\"answer\":\"1\"}\n"
          + "{\"id\":\"p1\",\"problem\":\"again\",\"answer\":\"4\"}\n").getBytes(StandardCharsets.UTF_8));
      out.write(new byte[] {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xff, '"', '}', '\n'});
    }
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.defaults())) {
      GenerateStage st = GenerateStage.prepare(config(work, s.url(), "generate.prompts=" + in,
          "generate.max-prompt-chars=200", "generate.template=\"{problem}\""));
      GenerateResult r = runOnce(st);
      assertEquals(2, r.prompts());
      assertEquals(5, r.rejects());
      assertEquals(4, r.succeeded());
      List<Json.Line> rejects = Json.readLines(ShardFiles.rejects(st.traces()));
      List<String> codes = new ArrayList<>();
      for (Json.Line l : rejects) {
        codes.add(l.node().get("reason").asText().split(":")[0]);
      }
      assertEquals(List.of("malformed_json", "missing_problem", "oversize", "duplicate_id", "bad_encoding"), codes);
      // The template {problem} sends the bare problem.
      Trace t = mainRows(st.traces().localPath()).get(0);
      assertTrue(t.problem().startsWith("What is"), t.problem());
    }
  }

  @Test
  void aFolderOfAnotherConfigIsNeverMixed() throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.defaults())) {
      runOnce(GenerateStage.prepare(config(work, s.url(), "generate.limit=6")));
      GenerateStage other = GenerateStage.prepare(config(work, s.url(), "generate.limit=6", "generate.temperature=0.9"));
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> runOnce(other));
      assertTrue(e.getMessage().contains("generate.overwrite"), e.getMessage());
      // Endpoints, timeouts and retries are not part of the identity: a rerun may use another pool.
      assertTrue(GenerateStage.prepare(config(work, s.url(), "generate.limit=6", "teacher.max-retries=9")).isComplete());
      GenerateResult r = runOnce(GenerateStage.prepare(config(work, s.url(), "generate.limit=6", "generate.temperature=0.9",
          "generate.overwrite=true")));
      assertEquals(12, r.succeeded());
      for (Trace t : mainRows(r.traces().localPath())) {
        assertEquals(0.9, t.sampling().temperature());
      }
    }
  }

  @Test
  void nPerRequestModeSharesOneRequestPerPrompt() throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.defaults())) {
      GenerateStage st = GenerateStage.prepare(config(work, s.url(), "teacher.request-mode=n-per-request",
          "generate.samples-per-prompt=3", "generate.limit=10"));
      GenerateResult r = runOnce(st);
      assertEquals(10, r.requests());
      assertEquals(10, s.stats().requests.get());
      assertEquals(30, s.stats().samples.get());
      assertExactlyOnce(st.traces().localPath(), keys(st));
      for (Trace t : mainRows(st.traces().localPath())) {
        assertEquals(Seeds.sampleSeed(st.settings().seed(), t.promptId(), -1), t.sampling().seed());
      }
    }
  }

  @Test
  void configErrorsNameTheKey() {
    Exception e = assertThrows(Exception.class, () -> GenerateStage.prepare(config(work, "http://127.0.0.1:1", "generate.shards=0")));
    assertTrue(e.getMessage().contains("generate.shards"), e.getMessage());
    e = assertThrows(Exception.class, () -> GenerateStage.prepare(config(work, "http://127.0.0.1:1", "generate.smaples=2")));
    assertTrue(e.getMessage().contains("generate.smaples"), e.getMessage());
    e = assertThrows(Exception.class, () -> GenerateStage.prepare(config(work, "ftp://x", "generate.limit=2")));
    assertTrue(e.getMessage().contains("teacher.endpoints"), e.getMessage());
    e = assertThrows(Exception.class, () -> TeacherSettings.from(config(work, "http://x", "teacher.backend=djl")));
    assertTrue(e.getMessage().contains("teacher.djl.checkpoint"), e.getMessage());
  }
}
