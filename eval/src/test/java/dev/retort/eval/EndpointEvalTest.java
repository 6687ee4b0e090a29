package dev.retort.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.EvalSample;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An endpoint model over real HTTP on loopback (a JDK HttpServer speaking the OpenAI chat API),
 * through teacher-gen's client: the endpoint dies mid-run, and a rerun completes only the rest.
 */
class EndpointEvalTest {
  @TempDir Path tmp;
  HttpServer server;
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger served = new AtomicInteger();
  volatile int healthyCalls = Integer.MAX_VALUE;
  private static final Pattern NUMBER = Pattern.compile("What is (\\d+)\\?");

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/v1/models", ex -> send(ex, 200, "{\"object\":\"list\",\"data\":[]}"));
    server.createContext("/v1/chat/completions", this::chat);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  /** Answers the number in the question, off by one when the request's seed is odd. */
  private void chat(HttpExchange ex) throws IOException {
    JsonNode req = Json.COMPACT.readTree(ex.getRequestBody().readAllBytes());
    if (calls.incrementAndGet() > healthyCalls) {
      send(ex, 500, "{\"error\":{\"message\":\"engine crashed\"}}");
      return;
    }
    served.incrementAndGet();
    Matcher m = NUMBER.matcher(req.path("messages").get(0).path("content").asText());
    long n = m.find() ? Long.parseLong(m.group(1)) : -1;
    long answer = n + (req.path("seed").asLong() % 2);
    String content = "<think>\\nThe number is given.\\n</think>\\n\\nThe answer is \\\\boxed{" + answer + "}.";
    send(ex, 200, "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + content
        + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12}}");
  }

  private static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  private RetortConfig config() throws IOException {
    Path bench = tmp.resolve("numbers.jsonl");
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      rows.append("{\"id\": \"n").append(i).append("\", \"problem\": \"What is ").append(20 + i)
          .append("?\", \"answer\": \"").append(20 + i).append("\"}\n");
    }
    Files.writeString(bench, rows.toString());
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    return RetortConfig.fromString("""
        run { work-dir = "%s", run-id = "ep", seed = 3 }
        teacher { max-retries = 0, eject-after-failures = 1000, request-timeout = 10s }
        eval {
          models = [ { name = served, endpoint = "%s", served-model = "tiny-teacher", role = teacher } ]
          benchmarks = [ { name = numbers, file = "%s", k = 2 } ]
          batch-size = 2
          chunk-size = 2
        }
        """.formatted(tmp.resolve("work"), url, bench), "endpoint-test.conf");
  }

  @Test
  void anEndpointThatDiesMidRunLeavesItsSamplesAndARerunFinishes() throws Exception {
    healthyCalls = 5; // 8 samples in chunks of 2: chunk 3 half fails, chunk 4 all fails and stops the run
    EvalJob.Result first = EvalJob.run(config());
    assertFalse(first.ok());
    assertTrue(first.failures().get(0).contains("served"), first.failures().toString());
    assertTrue(first.failures().get(0).contains("engine crashed") || first.failures().get(0).contains("500"),
        first.failures().toString());
    Path dir = tmp.resolve("work/ep/eval/served/numbers");
    assertEquals(5, ParquetIO.read(dir, Codecs.EVAL_SAMPLE).size());
    assertFalse(first.results().get(0).complete());
    assertTrue(Files.readString(first.reportHtml()).contains("incomplete: 5/8 samples"));

    healthyCalls = Integer.MAX_VALUE;
    int servedBefore = served.get();
    EvalJob.Result second = EvalJob.run(config());
    assertTrue(second.ok(), second.failures().toString());
    assertEquals(3, served.get() - servedBefore, "only the 3 missing samples are requested again");
    List<EvalSample> all = ParquetIO.read(dir, Codecs.EVAL_SAMPLE);
    assertEquals(8, all.size());
    // Correctness follows the per-sample seed the client sent: odd seeds answer off by one.
    for (EvalSample s : all) {
      long seed = EvalRunner.sampleSeed(3, "numbers", s.problemId(), s.sampleIndex());
      assertEquals(seed % 2 == 0, s.correct(), s.toString());
      assertTrue(s.response().startsWith("<think>\nThe number is given.\n</think>"), s.response());
      assertEquals(12, s.completionTokens());
    }
    ModelResult r = second.results().get(0);
    assertTrue(r.identity().contains("model=tiny-teacher"));
    double expected = all.stream().filter(EvalSample::correct).count() / 8.0;
    assertEquals(expected, r.metrics().pass(1).mean(), 1e-12);
  }
}
