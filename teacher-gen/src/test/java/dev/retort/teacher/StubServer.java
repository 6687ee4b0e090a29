package dev.retort.teacher;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted HTTP server on the JDK's HttpServer (a second, independent implementation, so client
 * tests do not only test against our own server): answers chat requests from a queue of canned
 * replies, then with a default reply; records request bodies and headers.
 */
final class StubServer implements AutoCloseable {
  /** A reply: an HTTP answer, or a dropped connection, or a hang. */
  record Reply(int status, String body, String retryAfter, boolean dropConnection, long delayMs) {
    static Reply ok(String body) {
      return new Reply(200, body, null, false, 0);
    }

    static Reply status(int status) {
      return new Reply(status, "{\"error\":{\"message\":\"scripted " + status + "\"}}", null, false, 0);
    }

    static Reply retryAfter(int status, String seconds) {
      return new Reply(status, "{\"error\":{\"message\":\"slow down\"}}", seconds, false, 0);
    }

    static Reply drop() {
      return new Reply(0, null, null, true, 0);
    }

    static Reply delayed(String body, long ms) {
      return new Reply(200, body, null, false, ms);
    }
  }

  final HttpServer server;
  final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
  volatile Reply fallback;
  final List<String> bodies = Collections.synchronizedList(new ArrayList<>());
  final List<String> authHeaders = Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger chatCalls = new AtomicInteger();
  final AtomicInteger modelsCalls = new AtomicInteger();
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "stub-server");
    t.setDaemon(true);
    return t;
  });

  StubServer(Reply fallback) throws IOException {
    this(fallback, 0);
  }

  StubServer(Reply fallback, int port) throws IOException {
    this.fallback = fallback;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 200);
    server.setExecutor(pool);
    server.createContext("/v1/models", ex -> {
      modelsCalls.incrementAndGet();
      send(ex, 200, "{\"object\":\"list\",\"data\":[]}", null);
    });
    server.createContext("/v1/chat/completions", this::chat);
    server.start();
  }

  static String completion(String reasoningContent, String content) {
    return "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" + quote(content)
        + ",\"reasoning_content\":" + quote(reasoningContent) + "},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}";
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  private void chat(HttpExchange ex) throws IOException {
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    try {
      chatCalls.incrementAndGet();
      bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      authHeaders.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      Reply r = script.poll();
      if (r == null) {
        r = fallback;
      }
      if (r.delayMs > 0) {
        try {
          Thread.sleep(r.delayMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (r.dropConnection) {
        ex.close(); // no headers sent: the JDK server closes the connection without an answer
        return;
      }
      send(ex, r.status, r.body, r.retryAfter);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private static void send(HttpExchange ex, int status, String body, String retryAfter) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    if (retryAfter != null) {
      ex.getResponseHeaders().set("Retry-After", retryAfter);
    }
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream o = ex.getResponseBody()) {
      o.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
