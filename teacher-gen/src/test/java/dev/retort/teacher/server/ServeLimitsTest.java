package dev.retort.teacher.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The server's limits and isolation, each against a real server on loopback with a real HTTP
 * client (java.net.http, or a raw socket where the test needs to control the bytes or the close).
 */
class ServeLimitsTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static String chat(String user, String extra) {
    return "{\"messages\":[{\"role\":\"user\",\"content\":\"" + user + "\"}]" + (extra.isEmpty() ? "" : "," + extra) + "}";
  }

  private static HttpRequest post(OpenAiServer s, String body) {
    return HttpRequest.newBuilder(URI.create(s.url() + "/chat/completions")).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static HttpResponse<String> send(OpenAiServer s, String body) throws Exception {
    return HTTP.send(post(s, body), HttpResponse.BodyHandlers.ofString());
  }

  private static CompletableFuture<HttpResponse<String>> sendAsync(OpenAiServer s, String body) {
    return HTTP.sendAsync(post(s, body), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode error(HttpResponse<String> r) throws Exception {
    return Json.COMPACT.readTree(r.body()).get("error");
  }

  /** Waits for a condition the server reaches asynchronously; fails after 30 s instead of hanging. */
  private static void await(BooleanSupplier done, String what) throws InterruptedException {
    for (int i = 0; i < 3000; i++) {
      if (done.getAsBoolean()) {
        return;
      }
      Thread.sleep(10);
    }
    fail("timed out waiting for " + what);
  }

  /** A raw connection that sent {@code head} (and nothing more). */
  private static Socket raw(OpenAiServer s, String head) throws Exception {
    Socket sock = new Socket("127.0.0.1", s.port());
    sock.setSoTimeout(30_000);
    if (!head.isEmpty()) {
      OutputStream out = sock.getOutputStream();
      out.write(head.getBytes(StandardCharsets.UTF_8));
      out.flush();
    }
    return sock;
  }

  private static String rawPost(String body) {
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
  }

  private static String statusLine(Socket sock) throws Exception {
    return new BufferedReader(new InputStreamReader(sock.getInputStream(), StandardCharsets.US_ASCII)).readLine();
  }

  /** True when the server closed the connection: end of stream, or a reset (a refused connection is reset). */
  private static boolean closedByServer(Socket sock) throws Exception {
    try {
      return sock.getInputStream().read() == -1;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  /** A model-like backend (through the batcher) whose calls can be held on a latch. */
  private static CompletionBackend gated(CountDownLatch gate) {
    ScriptedBackend script = new ScriptedBackend();
    return batch -> {
      gate.await();
      return script.generate(batch);
    };
  }

  @Test
  void nAndMaxTokensAboveTheirCapsAre400NamingFieldAndCapBeforeAnySample() throws Exception {
    ScriptedBackend script = new ScriptedBackend();
    CompletionBackend modelLike = script::generate;
    try (OpenAiServer s = OpenAiServer.start(modelLike, ServerOptions.builder().maxN(4).maxTokensCap(100).build())) {
      HttpResponse<String> n = send(s, chat("x", "\"n\":5"));
      assertEquals(400, n.statusCode(), n.body());
      assertEquals("n", error(n).get("param").asText());
      assertTrue(error(n).get("message").asText().contains("1..4"), n.body());
      HttpResponse<String> huge = send(s, chat("x", "\"max_tokens\":2000000000"));
      assertEquals(400, huge.statusCode(), huge.body());
      assertEquals("max_tokens", error(huge).get("param").asText());
      assertTrue(error(huge).get("message").asText().contains("1..100"), huge.body());
      HttpResponse<String> mct = send(s, chat("x", "\"max_completion_tokens\":101"));
      assertEquals("max_completion_tokens", error(mct).get("param").asText(), mct.body());
      assertEquals(0, s.batcher().items(), "refused requests never reach the batcher");
      assertEquals(200, send(s, chat("x", "\"max_tokens\":100,\"n\":4")).statusCode());
      assertEquals(4, s.batcher().items());
    }
  }

  @Test
  void promptsBeyondTheContextAre400BeforeAnySample() throws Exception {
    ScriptedBackend b = new ScriptedBackend(ScriptedBackend::defaultScript, Duration.ofMillis(1), 50);
    try (OpenAiServer s = OpenAiServer.start(b, ServerOptions.defaults())) {
      HttpResponse<String> r = send(s, chat("word ".repeat(45).strip(), "\"max_tokens\":10"));
      assertEquals(400, r.statusCode(), r.body());
      assertEquals("messages", error(r).get("param").asText());
      assertTrue(error(r).get("message").asText().contains("context of 50"), r.body());
      assertEquals(0, s.batcher().items());
      assertEquals(200, send(s, chat("word ".repeat(30).strip(), "\"max_tokens\":10")).statusCode());
    }
  }

  @Test
  void aBodyOverTheLimitIs413BeforeItIsSent() throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.builder().maxBodyBytes(4096).build())) {
      // Only the headers go out: the 413 comes back although the 15 MB body was never sent.
      try (Socket sock = raw(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 15000000\r\n\r\n")) {
        String status = statusLine(sock);
        assertNotNull(status);
        assertTrue(status.startsWith("HTTP/1.1 413"), status);
      }
      assertEquals(1, s.stats().tooLarge.get());
      String body = chat("x", "\"max_tokens\":50");
      try (Socket sock = raw(s, rawPost(body))) {
        assertTrue(statusLine(sock).startsWith("HTTP/1.1 200"), "a body under the limit is served");
      }
    }
  }

  @Test
  void idleConnectionsAreClosedButNotWhileTheirRequestRuns() throws Exception {
    // 30 tokens of 20 ms: the request runs longer than the idle timeout.
    ScriptedBackend slow = new ScriptedBackend(ScriptedBackend::essayScript, Duration.ofMillis(20), 100_000);
    try (OpenAiServer s = OpenAiServer.start(slow, ServerOptions.builder().idleTimeout(Duration.ofMillis(200)).sliceTokens(4).build())) {
      try (Socket idle = raw(s, "")) {
        assertEquals(-1, idle.getInputStream().read(), "the server closes a connection that sends nothing");
      }
      assertEquals(1, s.stats().idleClosed.get());
      try (Socket busy = raw(s, rawPost(chat(ScriptedBackend.ESSAY + " x", "\"max_tokens\":30")))) {
        String status = statusLine(busy);
        assertNotNull(status, "closed while its request was running");
        assertTrue(status.startsWith("HTTP/1.1 200"), status);
      }
    }
  }

  @Test
  void atTheConnectionCapTheLongestIdleMakesRoomAndBusyConnectionsAreKept() throws Exception {
    try (OpenAiServer s = OpenAiServer.start(new ScriptedBackend(), ServerOptions.builder().maxConnections(3).build())) {
      List<Socket> idle = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        idle.add(raw(s, ""));
        int want = i + 1;
        await(() -> s.openConnections() == want, want + " open connections");
      }
      assertEquals(200, send(s, chat("x", "\"max_tokens\":50")).statusCode(), "a client with work gets in at the cap");
      assertTrue(closedByServer(idle.get(0)), "the longest-idle connection made room");
      assertTrue(s.stats().evicted.get() >= 1);
      for (Socket sock : idle) {
        sock.close();
      }
    }
    CountDownLatch gate = new CountDownLatch(1);
    try (OpenAiServer s = OpenAiServer.start(gated(gate), ServerOptions.builder().maxConnections(2).batchWait(Duration.ZERO).build());
        Socket a = raw(s, rawPost(chat("a", "\"max_tokens\":50")));
        Socket b = raw(s, rawPost(chat("b", "\"max_tokens\":50")))) {
      await(() -> s.batcher().pending() == 2, "both requests in progress");
      try (Socket c = raw(s, "")) {
        assertTrue(closedByServer(c), "no room while every connection is busy");
      }
      assertEquals(1, s.stats().refusedConnections.get());
      gate.countDown();
      assertTrue(statusLine(a).startsWith("HTTP/1.1 200"));
      assertTrue(statusLine(b).startsWith("HTTP/1.1 200"));
    }
  }

  @Test
  void aFullQueueIs429WithRetryAfter() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    try (OpenAiServer s = OpenAiServer.start(gated(gate), ServerOptions.builder().queueCapacity(3).build())) {
      CompletableFuture<HttpResponse<String>> first = sendAsync(s, chat("a", "\"n\":2,\"max_tokens\":50"));
      await(() -> s.batcher().pending() == 2, "the first request queued");
      HttpResponse<String> full = send(s, chat("b", "\"n\":2,\"max_tokens\":50"));
      assertEquals(429, full.statusCode(), full.body());
      assertTrue(full.headers().firstValue("Retry-After").isPresent(), full.headers().toString());
      assertEquals(1, s.stats().queueFull.get());
      gate.countDown();
      assertEquals(200, first.get(30, TimeUnit.SECONDS).statusCode());
      assertEquals(200, send(s, chat("b", "\"n\":2,\"max_tokens\":50")).statusCode(), "room again once served");
    }
  }

  @Test
  @SuppressWarnings("try") // a resource held for its scope only (a scope, a gradient recording)
  void aLongRequestDoesNotStarveShortOnes() throws Exception {
    // 20000 tokens at 1 ms a step: about 20 s alone. In slices of 8 tokens a short request
    // (about 40 tokens) joins the next slice instead of waiting for the long one to finish.
    ScriptedBackend b = new ScriptedBackend(ScriptedBackend::essayScript, Duration.ofMillis(1), 1_000_000);
    try (OpenAiServer s = OpenAiServer.start(b, ServerOptions.builder().maxTokensCap(1_000_000).sliceTokens(8).maxBatch(4).build());
        Socket essay = raw(s, rawPost(chat(ScriptedBackend.ESSAY + " the history of salt", "\"max_tokens\":20000")))) {
      await(() -> s.batcher().items() == 1, "the long request decoding");
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> r = send(s, chat("question " + i, "\"max_tokens\":200,\"seed\":" + i + ",\"temperature\":0.5"));
        assertEquals(200, r.statusCode(), r.body());
      }
      assertEquals(1, s.batcher().pending(), "the five short requests finished while the long one still runs");
    }
  }

  @Test
  void aRowThatFailsFailsOnlyItsOwnRequest() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    ScriptedBackend script = new ScriptedBackend();
    List<Integer> failedBatchSizes = new CopyOnWriteArrayList<>();
    CompletionBackend b = batch -> {
      if (batch.get(0).userText().equals("gate")) {
        gate.await();
      }
      if (batch.stream().anyMatch(r -> r.userText().equals("poison"))) {
        failedBatchSizes.add(batch.size());
        throw new OutOfMemoryError("cannot allocate the poison row's cache");
      }
      return script.generate(batch);
    };
    try (OpenAiServer s = OpenAiServer.start(b, ServerOptions.builder().maxBatch(8).batchWait(Duration.ZERO).build())) {
      CompletableFuture<HttpResponse<String>> g = sendAsync(s, chat("gate", "\"max_tokens\":50"));
      await(() -> s.batcher().items() == 1, "the gate request in the backend");
      CompletableFuture<HttpResponse<String>> poison = sendAsync(s, chat("poison", "\"max_tokens\":50"));
      List<CompletableFuture<HttpResponse<String>>> ok = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        ok.add(sendAsync(s, chat("fine " + i, "\"max_tokens\":50")));
      }
      await(() -> s.batcher().pending() == 5, "four requests queued behind the gate");
      gate.countDown();
      assertEquals(200, g.get(30, TimeUnit.SECONDS).statusCode());
      HttpResponse<String> p = poison.get(30, TimeUnit.SECONDS);
      assertEquals(500, p.statusCode(), p.body());
      assertTrue(p.body().contains("poison"), p.body());
      for (CompletableFuture<HttpResponse<String>> f : ok) {
        HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
      }
      assertEquals(4, failedBatchSizes.get(0), "the poison row shared a batch with three others");
      assertEquals(List.of(4, 1), failedBatchSizes, "then it failed alone");
      assertEquals(4, s.batcher().isolatedRetries());
    }
  }

  @Test
  void aDisconnectedClientsGenerationIsCancelled() throws Exception {
    ScriptedBackend script = new ScriptedBackend(ScriptedBackend::essayScript, Duration.ofMillis(1), 1_000_000);
    Map<String, AtomicInteger> slices = new ConcurrentHashMap<>();
    CountDownLatch started = new CountDownLatch(1);
    CompletionBackend counting = new CompletionBackend() {
      @Override
      public List<Completion> generate(List<CompletionRequest> batch) {
        throw new UnsupportedOperationException("decodes in slices");
      }

      @Override
      public List<Decode> decode(List<Decode> rows, int sliceTokens) throws Exception {
        for (Decode d : rows) {
          slices.computeIfAbsent(d.request().userText(), k -> new AtomicInteger()).incrementAndGet();
        }
        started.countDown();
        return script.decode(rows, sliceTokens);
      }
    };
    String essay = ScriptedBackend.ESSAY + " everything";
    try (OpenAiServer s = OpenAiServer.start(counting, ServerOptions.builder().maxTokensCap(1_000_000).sliceTokens(8).build())) {
      Socket sock = raw(s, rawPost(chat(essay, "\"max_tokens\":500000")));
      started.await(30, TimeUnit.SECONDS);
      sock.close();
      await(() -> s.batcher().cancelled() == 1, "the batcher to drop the disconnected request");
      int before = slices.get(essay).get();
      assertEquals(200, send(s, chat("next", "\"max_tokens\":200")).statusCode());
      assertEquals(before, slices.get(essay).get(), "no slice for the disconnected request after it was dropped");
      assertTrue(slices.get("next").get() >= 1);
      assertEquals(0, s.batcher().pending());
      await(() -> s.stats().disconnected.get() == 1, "the disconnect counted");
    }
  }
}
