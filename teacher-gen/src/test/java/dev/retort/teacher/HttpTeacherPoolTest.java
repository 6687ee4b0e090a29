package dev.retort.teacher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.io.Json;
import dev.retort.teacher.StubServer.Reply;
import dev.retort.teacher.http.HttpTeacherPool;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool against real HTTP servers on loopback: retries, Retry-After, timeouts, ejection, bounds, keys. */
class HttpTeacherPoolTest {
  private static final SamplingParams SAMPLING = new SamplingParams(0.6, 0.95, 0, 64, 7L);
  private static final String OK = StubServer.completion("r", "\\boxed{1}");

  @TempDir Path dir;

  private static HttpTeacherPool.Builder pool(String... urls) {
    return HttpTeacherPool.builder().setEndpoints(List.of(urls)).setModel("m")
        .optBackoff(Duration.ofMillis(5), Duration.ofMillis(20))
        .optRequestTimeout(Duration.ofSeconds(5));
  }

  private static TeacherResponse call(TeacherClient c, String text) throws Exception {
    return c.complete(TeacherRequest.of("t", text, SAMPLING)).get(20, TimeUnit.SECONDS);
  }

  private static Throwable failure(TeacherClient c) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> c.complete(TeacherRequest.of("t", "x", SAMPLING)).get(20, TimeUnit.SECONDS));
    return e.getCause();
  }

  @Test
  void sendsTheOpenAiRequestAndRetriesTransientFailures() throws Exception {
    try (StubServer s = new StubServer(Reply.ok(OK));
        HttpTeacherPool p = pool(s.url()).optMaxRetries(5).build()) {
      s.script.add(Reply.status(503));
      s.script.add(Reply.status(500));
      s.script.add(Reply.status(408));
      s.script.add(Reply.drop());
      TeacherResponse r = call(p, "What is 1?");
      assertEquals(5, r.attempts());
      assertEquals("r", r.choices().get(0).reasoning());
      assertEquals("\\boxed{1}", r.choices().get(0).answer());
      assertEquals(5, r.promptTokens());
      JsonNode body = Json.COMPACT.readTree(s.bodies.get(0));
      assertEquals("m", body.get("model").asText());
      assertEquals("What is 1?", body.get("messages").get(0).get("content").asText());
      assertEquals("user", body.get("messages").get(0).get("role").asText());
      assertEquals(7, body.get("seed").asLong());
      assertEquals(0.95, body.get("top_p").asDouble());
      assertEquals(64, body.get("max_tokens").asInt());
      assertEquals(1, body.get("n").asInt());
      assertFalse(body.has("top_k"), "top_k 0 means off and is not sent");
      assertEquals(4, p.stats().retries());
    }
  }

  @Test
  void givesUpAfterMaxRetriesWithTheLastReason() throws Exception {
    try (StubServer s = new StubServer(Reply.status(502));
        HttpTeacherPool p = pool(s.url()).optMaxRetries(2).optEjection(100, Duration.ofSeconds(1)).build()) {
      Throwable t = failure(p);
      TeacherException te = assertInstanceOf(TeacherException.class, t);
      assertEquals(3, te.attempts());
      assertEquals(502, te.status());
      assertTrue(te.getMessage().contains("gave up after 3 attempts"), te.getMessage());
      assertTrue(te.getMessage().contains("scripted 502"), te.getMessage());
      assertEquals(3, s.chatCalls.get());
    }
  }

  @Test
  void clientErrorsAreNotRetried() throws Exception {
    try (StubServer s = new StubServer(Reply.status(400));
        HttpTeacherPool p = pool(s.url()).optMaxRetries(5).build()) {
      TeacherException te = assertInstanceOf(TeacherException.class, failure(p));
      assertEquals(1, te.attempts());
      assertEquals(400, te.status());
      assertEquals(1, s.chatCalls.get());
    }
  }

  @Test
  void honoursRetryAfter() throws Exception {
    try (StubServer s = new StubServer(Reply.ok(OK));
        HttpTeacherPool p = pool(s.url()).optMaxRetries(3).build()) {
      s.script.add(Reply.retryAfter(429, "1"));
      long t0 = System.nanoTime();
      TeacherResponse r = call(p, "x");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(2, r.attempts());
      // Backoff alone is at most 20 ms here; the second attempt waited for the server's 1 s.
      assertTrue(ms >= 950, "waited " + ms + " ms");
      assertEquals(0, p.stats().ejections(), "429 is back-pressure, not an endpoint failure");
    }
  }

  @Test
  void timesOutAHungAttemptAndRetries() throws Exception {
    try (StubServer s = new StubServer(Reply.ok(OK));
        HttpTeacherPool p = pool(s.url()).optMaxRetries(2).optRequestTimeout(Duration.ofMillis(300)).build()) {
      s.script.add(Reply.delayed(OK, 3000));
      long t0 = System.nanoTime();
      TeacherResponse r = call(p, "x");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(2, r.attempts());
      assertTrue(ms >= 300 && ms < 2500, "took " + ms + " ms");
    }
  }

  @Test
  void ejectsAFailingEndpointAndProbesItBackIn() throws Exception {
    int port;
    try (ServerSocket ss = new ServerSocket(0)) {
      port = ss.getLocalPort();
    }
    String dead = "http://127.0.0.1:" + port + "/v1";
    try (StubServer good = new StubServer(Reply.ok(OK));
        HttpTeacherPool p = pool(dead, good.url()).optMaxRetries(4).optEjection(2, Duration.ofMillis(200)).build()) {
      List<CompletableFuture<TeacherResponse>> fs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        fs.add(p.complete(TeacherRequest.of("t" + i, "x", SAMPLING)));
        fs.get(i).get(20, TimeUnit.SECONDS); // one at a time: spreads over both endpoints until the ejection
      }
      HttpTeacherPool.PoolStats st = p.stats();
      assertEquals(1, st.ejections());
      HttpTeacherPool.EndpointStatus deadStatus = st.endpoints().get(0);
      assertFalse(deadStatus.healthy());
      assertEquals(2, deadStatus.failures(), "after 2 failures no more traffic went to the dead endpoint");
      assertEquals(20, good.chatCalls.get());

      // The endpoint comes back: the probe puts it into rotation again.
      try (StubServer revived = new StubServer(Reply.ok(OK), port)) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!p.stats().endpoints().get(0).healthy() && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertTrue(p.stats().endpoints().get(0).healthy(), "probe reinstated the endpoint");
        assertTrue(revived.modelsCalls.get() >= 1, "probed with GET /v1/models");
        for (int i = 0; i < 10; i++) {
          call(p, "y");
        }
        assertTrue(revived.chatCalls.get() > 0, "traffic returned to the revived endpoint");
      }
    }
  }

  @Test
  void allEndpointsDownStillTerminates() throws Exception {
    int port;
    try (ServerSocket ss = new ServerSocket(0)) {
      port = ss.getLocalPort();
    }
    try (HttpTeacherPool p = pool("http://127.0.0.1:" + port).optMaxRetries(3).optEjection(1, Duration.ofMillis(100)).build()) {
      TeacherException te = assertInstanceOf(TeacherException.class, failure(p));
      assertEquals(4, te.attempts());
      assertTrue(te.getMessage().contains("connection"), te.getMessage());
    }
  }

  @Test
  void boundsRequestsInFlightPerEndpoint() throws Exception {
    try (StubServer s = new StubServer(Reply.delayed(OK, 100));
        HttpTeacherPool p = pool(s.url()).optMaxInFlight(3, 100).build()) {
      List<CompletableFuture<TeacherResponse>> fs = new ArrayList<>();
      for (int i = 0; i < 15; i++) {
        fs.add(p.complete(TeacherRequest.of("t" + i, "x", SAMPLING)));
      }
      for (CompletableFuture<TeacherResponse> f : fs) {
        f.get(20, TimeUnit.SECONDS);
      }
      assertEquals(3, s.maxInFlight.get());
    }
  }

  @Test
  void boundsRequestsInFlightPerExecutor() throws Exception {
    try (StubServer a = new StubServer(Reply.delayed(OK, 100));
        StubServer b = new StubServer(Reply.delayed(OK, 100));
        HttpTeacherPool p = pool(a.url(), b.url()).optMaxInFlight(10, 4).build()) {
      List<CompletableFuture<TeacherResponse>> fs = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        fs.add(p.complete(TeacherRequest.of("t" + i, "x", SAMPLING)));
      }
      for (CompletableFuture<TeacherResponse> f : fs) {
        f.get(20, TimeUnit.SECONDS);
      }
      assertTrue(a.maxInFlight.get() + b.maxInFlight.get() <= 4 + 0, "a=" + a.maxInFlight + " b=" + b.maxInFlight);
      assertTrue(a.chatCalls.get() > 0 && b.chatCalls.get() > 0, "load was spread over both endpoints");
    }
  }

  @Test
  void closeCompletesEveryPendingRequest() throws Exception {
    try (StubServer s = new StubServer(Reply.status(503))) {
      HttpTeacherPool p = pool(s.url()).optMaxRetries(50).optBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5))
          .optMaxInFlight(1, 1).optEjection(1000, Duration.ofSeconds(1)).build();
      List<CompletableFuture<TeacherResponse>> fs = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        fs.add(p.complete(TeacherRequest.of("t" + i, "x", SAMPLING)));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (s.chatCalls.get() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10); // some in backoff, some queued
      }
      p.close();
      for (CompletableFuture<TeacherResponse> f : fs) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
      }
    }
  }

  @Test
  void apiKeyFromFileIsSentButNeverShown() throws Exception {
    String secret = "sk-test-" + System.nanoTime();
    Path keyFile = dir.resolve("key");
    Files.writeString(keyFile, secret + "\n");
    try (StubServer s = new StubServer(Reply.status(401))) {
      HttpTeacherPool.Builder b = pool(s.url()).optApiKeyFile(keyFile);
      assertFalse(b.toString().contains(secret));
      try (HttpTeacherPool p = b.build()) {
        TeacherException te = assertInstanceOf(TeacherException.class, failure(p));
        assertEquals("Bearer " + secret, s.authHeaders.get(0));
        assertFalse(te.getMessage().contains(secret), te.getMessage());
      }
    }
  }

  @Test
  void missingKeySourceIsAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> pool("http://127.0.0.1:1").optApiKeyEnv("RETORT_TEST_SURELY_UNSET_VAR").build());
    assertTrue(e.getMessage().contains("RETORT_TEST_SURELY_UNSET_VAR"), e.getMessage());
  }
}
