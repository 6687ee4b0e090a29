package dev.retort.teacher;

import dev.retort.model.ChatMessage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.datasets.Arith;
import dev.retort.core.io.Json;
import dev.retort.teacher.http.HttpTeacherPool;
import dev.retort.teacher.server.Completion;
import dev.retort.teacher.server.CompletionBackend;
import dev.retort.teacher.server.CompletionRequest;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ReasoningFormat;
import dev.retort.teacher.server.ScriptedBackend;
import dev.retort.teacher.server.ServerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** The OpenAI-compatible server with the scripted backend, spoken to by the real client and by raw HTTP. */
class OpenAiServerTest {
  private static final HttpClient RAW = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static HttpTeacherPool client(OpenAiServer s, String model) {
    return HttpTeacherPool.builder().setEndpoints(List.of(s.url())).setModel(model)
        .optBackoff(Duration.ofMillis(5), Duration.ofMillis(20)).optRequestTimeout(Duration.ofSeconds(5)).build();
  }

  private static HttpResponse<String> raw(String method, String url, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    b = body == null ? b.GET() : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    return RAW.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @EnumSource(ReasoningFormat.class)
  void everyReasoningFormatRoundTripsThroughTheClient(ReasoningFormat format) throws Exception {
    String problem = Arith.generate(Arith.Spec.defaults(), 1, 1, Arith.Split.TRAIN).get(0).problem();
    SamplingParams sp = new SamplingParams(0.7, 1.0, 0, 200, 11L);
    Completion expected = ScriptedBackend.defaultScript(new CompletionRequest(List.of(ChatMessage.user(problem)), sp, List.of()));
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.builder().reasoningFormat(format).build());
        HttpTeacherPool c = client(s, "retort")) {
      TeacherResponse r = c.complete(TeacherRequest.of("a", problem, sp)).get(10, TimeUnit.SECONDS);
      Choice ch = r.choices().get(0);
      assertEquals(expected.reasoning(), ch.reasoning());
      assertEquals(expected.answer(), ch.answer());
      assertTrue(ch.answer().contains("\\boxed{"), ch.answer());
      assertEquals(expected.completionTokens(), r.completionTokens());
      assertEquals(expected.promptTokens(), r.promptTokens());
    }
  }

  @Test
  void nSamplesSeedsAndDeterminism() throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.defaults());
        HttpTeacherPool c = client(s, "retort")) {
      SamplingParams sp = new SamplingParams(1.0, 1.0, 0, 100, 100L);
      TeacherRequest four = new TeacherRequest("n", List.of(ChatMessage.user("Explain gravity")), sp, 4, List.of());
      TeacherResponse r = c.complete(four).get(10, TimeUnit.SECONDS);
      assertEquals(4, r.choices().size());
      for (int i = 0; i < 4; i++) {
        // Sample i of a request with seed s is the single sample of a request with seed s + i.
        TeacherResponse one = c.complete(TeacherRequest.of("1", "Explain gravity", sp.withSeed(100L + i))).get(10, TimeUnit.SECONDS);
        assertEquals(one.choices().get(0).reasoning(), r.choices().get(i).reasoning());
      }
      assertNotEquals(r.choices().get(0).reasoning(), r.choices().get(1).reasoning());
      int sum = 0;
      for (Choice ch : r.choices()) {
        sum += ch.completionTokens();
      }
      assertEquals(r.completionTokens(), sum);
    }
  }

  @Test
  void maxTokensCutsReasoningWithFinishReasonLength() throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.defaults());
        HttpTeacherPool c = client(s, "retort")) {
      TeacherResponse r = c.complete(TeacherRequest.of("a", "Explain gravity", new SamplingParams(0, 1, 0, 3, null)))
          .get(10, TimeUnit.SECONDS);
      assertEquals("length", r.choices().get(0).finishReason());
      assertEquals(3, r.completionTokens());
      assertEquals("", r.choices().get(0).answer());
    }
  }

  @Test
  void healthModelsAndErrors() throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.builder().servedModelName("tiny").build())) {
      String base = "http://127.0.0.1:" + s.port();
      assertEquals(200, raw("GET", base + "/health", null, null).statusCode());
      JsonNode models = Json.COMPACT.readTree(raw("GET", base + "/v1/models", null, null).body());
      assertEquals("tiny", models.get("data").get(0).get("id").asText());
      HttpResponse<String> bad = raw("POST", base + "/v1/chat/completions", "{\"messages\": 3}", null);
      assertEquals(400, bad.statusCode());
      assertTrue(bad.body().contains("messages"), bad.body());
      assertEquals(400, raw("POST", base + "/v1/chat/completions", "not json", null).statusCode());
      assertEquals(400, raw("POST", base + "/v1/chat/completions",
          "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":-1}", null).statusCode());
      HttpResponse<String> ok = raw("POST", base + "/v1/chat/completions",
          "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],\"stop\":\"x\",\"max_tokens\":50}", null);
      assertEquals(200, ok.statusCode(), ok.body());
      JsonNode body = Json.COMPACT.readTree(ok.body());
      assertEquals("chat.completion", body.get("object").asText());
      assertTrue(body.get("usage").get("completion_tokens").asInt() > 0);
      assertTrue(body.get("choices").get(0).get("message").has("reasoning_content"));
      assertEquals(404, raw("GET", base + "/v2/nothing", null, null).statusCode());
      // A wrong model name is a clear, non-retryable error in the client.
      try (HttpTeacherPool c = client(s, "other")) {
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> c.complete(TeacherRequest.of("a", "x", new SamplingParams(0, 1, 0, 5, null))).get(10, TimeUnit.SECONDS));
        TeacherException te = assertInstanceOf(TeacherException.class, e.getCause());
        assertEquals(404, te.status());
        assertEquals(1, te.attempts());
        assertTrue(te.getMessage().contains("other"), te.getMessage());
      }
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
      "temperature | \"temperature\":\"0.2\"",
      "top_p | \"top_p\":\"0.5\"",
      "seed | \"seed\":\"abc\"",
      "seed | \"seed\":1e30",
      "stop | \"stop\":5",
      "stop | \"stop\":[\"a\",5]",
      "max_tokens | \"max_tokens\":4294967297",
      "max_tokens | \"max_tokens\":1.5",
      "n | \"n\":4294967298",
      "top_k | \"top_k\":-3"})
  void wrongTypesAndOutOfRangeNumbersAreA400NamingTheField(String field, String json) throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.builder().servedModelName("tiny").build())) {
      HttpResponse<String> r = raw("POST", "http://127.0.0.1:" + s.port() + "/v1/chat/completions",
          "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]," + json + "}", null);
      assertEquals(400, r.statusCode(), r.body());
      assertEquals(field, Json.COMPACT.readTree(r.body()).get("error").get("param").asText(), r.body());
    }
  }

  @Test
  void bearerTokenGuardsTheApi() throws Exception {
    String token = "tok-" + System.nanoTime();
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.builder().bearerToken(token).build())) {
      String base = "http://127.0.0.1:" + s.port();
      assertEquals(200, raw("GET", base + "/health", null, null).statusCode(), "health stays open for probes");
      assertEquals(401, raw("GET", base + "/v1/models", null, null).statusCode());
      assertEquals(401, raw("GET", base + "/v1/models", null, "wrong").statusCode());
      assertEquals(200, raw("GET", base + "/v1/models", null, token).statusCode());
      assertTrue(!s.options().toString().contains(token));
      try (HttpTeacherPool c = HttpTeacherPool.builder().setEndpoints(List.of(s.url())).setModel("retort").optApiKey(token).build()) {
        assertEquals(1, c.complete(TeacherRequest.of("a", "x", new SamplingParams(0, 1, 0, 50, null))).get(10, TimeUnit.SECONDS).choices().size());
      }
    }
  }

  @Test
  void concurrentRequestsShareBatches() throws Exception {
    // A backend that is not inline (like a model): requests go through the batcher.
    ScriptedBackend script = new ScriptedBackend();
    CompletionBackend modelLike = script::generate;
    try (OpenAiServer s = OpenAiServer.start(modelLike,
        ServerOptions.builder().maxBatch(8).batchWait(Duration.ofMillis(50)).build());
        HttpTeacherPool c = client(s, "retort")) {
      List<CompletableFuture<TeacherResponse>> fs = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        fs.add(c.complete(TeacherRequest.of("a" + i, "question " + i, new SamplingParams(0.5, 1, 0, 50, (long) i))));
      }
      for (CompletableFuture<TeacherResponse> f : fs) {
        f.get(10, TimeUnit.SECONDS);
      }
      assertEquals(24, s.batcher().items());
      assertTrue(s.batcher().largestBatch() > 1, "largest batch " + s.batcher().largestBatch());
      assertTrue(s.batcher().largestBatch() <= 8);
      assertTrue(s.batcher().batches() < 24, "batches " + s.batcher().batches());
    }
  }
}
