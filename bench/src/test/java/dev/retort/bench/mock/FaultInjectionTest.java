package dev.retort.bench.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.SamplingParams;
import dev.retort.teacher.TeacherRequest;
import dev.retort.teacher.TeacherResponse;
import dev.retort.teacher.http.HttpTeacherPool;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ScriptedBackend;
import dev.retort.teacher.server.ServerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The faulty teacher: the real server and client, with the injection in front of the server. */
class FaultInjectionTest {
  private static final HttpClient RAW = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static HttpResponse<String> raw(String method, String url, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    b = body == null ? b.GET() : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    return RAW.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void injectedFaultsAreRetriedAway() throws Exception {
    FaultInjection faults = new FaultInjection(new FaultInjection.Faults(0.2, 0.1, 0.1, Duration.ofSeconds(30), Duration.ZERO, 5));
    try (OpenAiServer s = faults.start(new ScriptedBackend(), ServerOptions.defaults());
        HttpTeacherPool c = HttpTeacherPool.builder().setEndpoints(List.of(s.url())).setModel("retort")
            .optBackoff(Duration.ofMillis(1), Duration.ofMillis(10)).optRequestTimeout(Duration.ofMillis(500))
            .optMaxRetries(12).optEjection(1000, Duration.ofSeconds(1)).build()) {
      List<CompletableFuture<TeacherResponse>> fs = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        fs.add(c.complete(TeacherRequest.of("a" + i, "q" + i, new SamplingParams(0.5, 1, 0, 50, (long) i))));
      }
      for (CompletableFuture<TeacherResponse> f : fs) {
        assertEquals(1, f.get(30, TimeUnit.SECONDS).choices().size());
      }
      FaultInjection.Stats st = faults.stats();
      assertTrue(st.errors.get() > 0 && st.dropped.get() > 0 && st.hung.get() > 0,
          "errors " + st.errors + " drops " + st.dropped + " hangs " + st.hung);
      assertEquals(st.requests.get() - st.injected(), s.stats().requests.get(), "the server saw only the requests let through");
      // Every injected fault cost exactly one resend: a counted retry, or a free one when the
      // server dropped a connection that had sat idle in the keep-alive pool.
      assertEquals(st.injected(), c.stats().retries() + c.stats().staleRetries());
    }
  }

  @Test
  void atErrorRateOneEveryChatRequestIsAnInjectedErrorAndOtherRoutesPass() throws Exception {
    FaultInjection faults = new FaultInjection(new FaultInjection.Faults(1.0, 0, 0, Duration.ofSeconds(30), Duration.ZERO, 9));
    try (OpenAiServer s = faults.start(new ScriptedBackend(), ServerOptions.defaults())) {
      String chat = "{\"model\": \"retort\", \"messages\": [{\"role\": \"user\", \"content\": \"1+1?\"}], \"max_tokens\": 20}";
      for (int i = 0; i < 12; i++) {
        HttpResponse<String> r = raw("POST", s.url() + "/chat/completions", chat);
        assertTrue(Set.of(429, 500, 503).contains(r.statusCode()), r.statusCode() + " " + r.body());
        assertTrue(r.body().contains("injected fault"), r.body());
        if (r.statusCode() != 500) {
          assertEquals("0", r.headers().firstValue("Retry-After").orElse(null), "retry at once");
        }
      }
      assertEquals(200, raw("GET", s.url() + "/models", null).statusCode());
      assertEquals(200, raw("GET", s.url().replace("/v1", "/health"), null).statusCode());
      assertEquals(12, faults.stats().requests.get());
      assertEquals(12, faults.stats().errors.get());
      assertEquals(0, s.stats().requests.get(), "no chat request reached the server");
    }
  }

  @Test
  void latencyDelaysEveryAnswer() throws Exception {
    Duration latency = Duration.ofMillis(300);
    FaultInjection faults = new FaultInjection(FaultInjection.Faults.latencyOnly(latency));
    try (OpenAiServer s = faults.start(new ScriptedBackend(), ServerOptions.defaults());
        HttpTeacherPool c = HttpTeacherPool.builder().setEndpoints(List.of(s.url())).setModel("retort")
            .optRequestTimeout(Duration.ofSeconds(10)).build()) {
      List<CompletableFuture<TeacherResponse>> fs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        fs.add(c.complete(TeacherRequest.of("a" + i, "q" + i, new SamplingParams(0, 1, 0, 50, null))));
      }
      for (CompletableFuture<TeacherResponse> f : fs) {
        TeacherResponse r = f.get(30, TimeUnit.SECONDS);
        assertEquals(1, r.choices().size());
        assertTrue(r.latencyMs() >= latency.toMillis(), "answered after " + r.latencyMs() + " ms");
      }
      assertEquals(20, s.stats().completed.get());
      assertEquals(0, faults.stats().injected());
    }
  }

  @Test
  void ratesOutsideTheirRangeAreRefused() {
    IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
        () -> new FaultInjection.Faults(0.6, 0.3, 0.2, Duration.ofSeconds(1), Duration.ZERO, 1));
    assertTrue(sum.getMessage().contains("<= 1"), sum.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new FaultInjection.Faults(-0.1, 0, 0, Duration.ofSeconds(1), Duration.ZERO, 1));
  }
}
