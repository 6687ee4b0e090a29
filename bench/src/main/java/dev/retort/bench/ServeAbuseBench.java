package dev.retort.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.core.io.Json;
import dev.retort.teacher.server.CompletionBackend;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ScriptedBackend;
import dev.retort.teacher.server.ServerOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench serve-abuse}: do abusive clients starve normal ones?
 *
 * <p>One {@link OpenAiServer} on loopback in this JVM. Its backend is the scripted one with a
 * per-token delay (each slice sleeps the delay times the most tokens any of its rows produced,
 * as a batch decodes on an accelerator), not a model: on this project's shared 2-core machines a
 * CPU model's speed moves with the other processes' load and its batched step cost grows with the
 * rows, so p99 ratios would measure the CPU, not the scheduler. The script answers a prompt
 * starting with {@link ScriptedBackend#ESSAY} with its whole max_tokens budget.
 *
 * <p>Phase 1: {@code --requests} normal requests (arith problems, about 20-45 tokens each) from
 * {@code --concurrency} clients, alone. Phase 2: the same requests while abusive clients run:
 * long requests at the max_tokens cap that use all of it, requests with max_tokens far above the
 * cap, prompts longer than the context, bodies of 15 MB (headers announce it; the body follows
 * only if the server reads), clients that send a long request and disconnect, and a flood of
 * connections that never send anything ({@code --idle-connections} at once, by default before the
 * measured load starts and the server has closed what it evicted, then {@code --idle-rate} a
 * second during it). The result line gives the share of normal requests answered 200 and the p99
 * latency of each phase.
 */
@Command(name = "serve-abuse", mixinStandardHelpOptions = true,
    description = "Benchmark: normal requests alone, then beside abusive clients (huge max_tokens, over-long prompts, idle"
        + " connections, big bodies, disconnects); ends with RESULT serve-abuse normal_ok=... p99_ratio=...")
public final class ServeAbuseBench implements Callable<Integer> {
  @Option(names = "--requests", defaultValue = "320", description = "Normal requests per phase (default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(names = "--concurrency", defaultValue = "8", description = "Normal clients (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--token-ms", defaultValue = "5", description = "Time of one decoding step of a batch (default: ${DEFAULT-VALUE}).")
  long tokenMs;

  @Option(names = "--context", defaultValue = "4096", description = "Context of the scripted model and the max_tokens cap (default: ${DEFAULT-VALUE}).")
  int context;

  @Option(names = "--slice-tokens", defaultValue = "16", description = "Server --slice-tokens (default: ${DEFAULT-VALUE}).")
  int sliceTokens;

  @Option(names = "--max-batch", defaultValue = "16", description = "Server --max-batch (default: ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--max-connections", defaultValue = "512", description = "Server --max-connections (default: ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(names = "--long-clients", defaultValue = "4", description = "Clients sending requests at the max_tokens cap (default: ${DEFAULT-VALUE}).")
  int longClients;

  @Option(names = "--disconnect-clients", defaultValue = "2", description = "Clients that send a long request and hang up (default: ${DEFAULT-VALUE}).")
  int disconnectClients;

  @Option(names = "--idle-connections", defaultValue = "3000", description = "Connections opened that never send (default: ${DEFAULT-VALUE}).")
  int idleConnections;

  @Option(names = "--idle-rate", defaultValue = "200", description = "Idle connections opened a second during the measured load (default: ${DEFAULT-VALUE}).")
  int idleRate;

  @Option(names = "--burst-during-load", description = "Open the idle connections' burst as the measured load starts, not before it.")
  boolean burstDuringLoad;

  @Option(names = "--abuse-pause-ms", defaultValue = "20", description = "Pause of each rejected-request abuser between attempts (default: ${DEFAULT-VALUE}).")
  long abusePauseMs;

  private final AtomicBoolean abusing = new AtomicBoolean();
  private final AtomicLong abuse400 = new AtomicLong();
  private final AtomicLong abuse413 = new AtomicLong();
  private final AtomicLong abuseOther = new AtomicLong();
  private final AtomicLong longDone = new AtomicLong();

  @Override
  @SuppressWarnings("try") // a resource held for its scope only (a scope, a gradient recording)
  public Integer call() throws Exception {
    if (requests < 10 || concurrency < 1 || tokenMs < 0 || context < 512 || sliceTokens < 1) {
      throw new IllegalArgumentException("need --requests >= 10, --concurrency >= 1, --token-ms >= 0, --context >= 512, --slice-tokens >= 1");
    }
    CompletionBackend backend = new ScriptedBackend(ScriptedBackend::essayScript, Duration.ofMillis(tokenMs), context);
    ServerOptions opts = ServerOptions.builder().servedModelName("mock").maxBatch(maxBatch).batchWait(Duration.ofMillis(5))
        .sliceTokens(sliceTokens).maxTokensCap(context).maxConnections(maxConnections).idleTimeout(Duration.ofSeconds(10))
        .queueCapacity(256).maxBodyBytes(1 << 20).ioThreads(2).build();
    List<Prompt> prompts = Arith.generate(Arith.Spec.defaults(), 7, requests, Arith.Split.TRAIN);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    try (OpenAiServer server = OpenAiServer.start(backend, opts)) {
      System.out.printf("serve-abuse: scripted backend, %d ms per decoding step, slices of %d tokens, batches of %d, context %d;"
          + " %d normal requests from %d clients per phase%n", tokenMs, sliceTokens, maxBatch, context, requests, concurrency);
      normal(http, server, prompts.subList(0, Math.min(40, prompts.size()))); // warm-up
      Phase alone = normal(http, server, prompts);
      System.out.printf("alone: ok %d/%d, p50 %d ms, p90 %d ms, p99 %d ms, max %d ms%n", alone.ok, requests, alone.p50(),
          alone.quantile(0.9), alone.p99(), alone.quantile(1.0));

      HttpClient abuserHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
      ExecutorService abusers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "serve-abuser");
        t.setDaemon(true);
        return t;
      });
      List<Socket> idle = new ArrayList<>();
      abusing.set(true);
      List<Future<?>> running = new ArrayList<>();
      String essay = body(ScriptedBackend.ESSAY + " the complete history of salt", context - 64, 1);
      for (int i = 0; i < longClients; i++) {
        running.add(abusers.submit(() -> loop(() -> {
          HttpResponse<String> r = abuserHttp.send(request(server, essay), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            longDone.incrementAndGet();
          } else {
            abuseOther.incrementAndGet();
          }
        })));
      }
      for (int i = 0; i < disconnectClients; i++) {
        running.add(abusers.submit(() -> loop(() -> {
          try (Socket s = raw(server, post(essay))) {
            Thread.sleep(100);
          }
        })));
      }
      String hugeMax = body("Tell me everything.", 2_000_000_000, 1);
      String longPrompt = body("word ".repeat(context + 1000).strip(), 16, 1);
      running.add(abusers.submit(() -> loop(() -> {
        count(abuserHttp.send(request(server, hugeMax), HttpResponse.BodyHandlers.ofString()).statusCode());
        count(abuserHttp.send(request(server, longPrompt), HttpResponse.BodyHandlers.ofString()).statusCode());
        Thread.sleep(abusePauseMs);
      })));
      running.add(abusers.submit(() -> loop(() -> {
        count(bigBody(server));
        Thread.sleep(abusePauseMs);
      })));
      // The flood: idleConnections opened at once and held, then more opened at idleRate a second
      // while the measured load runs, so the server evicts idle connections throughout.
      AtomicLong idleRefused = new AtomicLong();
      Attempt openIdle = () -> {
        try {
          Socket s = raw(server, "");
          synchronized (idle) {
            idle.add(s);
          }
        } catch (IOException e) {
          idleRefused.incrementAndGet();
        }
      };
      Runnable burst = () -> {
        long t0 = System.nanoTime();
        for (int i = 0; i < idleConnections; i++) {
          try {
            openIdle.run();
          } catch (Exception e) {
            idleRefused.incrementAndGet();
          }
        }
        System.out.printf("idle flood: %d connections in %d ms%n", idleConnections, (System.nanoTime() - t0) / 1_000_000);
      };
      if (burstDuringLoad) {
        running.add(abusers.submit(burst));
      } else {
        burst.run();
      }
      if (idleRate > 0) {
        running.add(abusers.submit(() -> loop(() -> {
          openIdle.run();
          Thread.sleep(1000 / idleRate);
        })));
      }
      // The measured load starts once the long clients are decoding and the server has worked off
      // the burst (closed what it evicted); the trickle of new idle connections goes on.
      int openAtBurstEnd = server.openConnections();
      long settle = System.nanoTime();
      for (int i = 0; i < 3000 && (server.batcher().pending() < longClients
          || (!burstDuringLoad && server.openConnections() > maxConnections)); i++) {
        Thread.sleep(10);
      }
      if (!burstDuringLoad) {
        System.out.printf("the server had %d connections open at the end of the burst, %d after %d ms%n", openAtBurstEnd,
            server.openConnections(), (System.nanoTime() - settle) / 1_000_000);
      }
      int openAfterFlood = server.openConnections();
      Phase abused = normal(http, server, prompts);
      abusing.set(false);
      abusers.shutdownNow();
      synchronized (idle) {
        for (Socket s : idle) {
          s.close();
        }
      }
      OpenAiServer.Stats st = server.stats();
      System.out.printf("under abuse: ok %d/%d, p50 %d ms, p90 %d ms, p99 %d ms, max %d ms%n", abused.ok, requests,
          abused.p50(), abused.quantile(0.9), abused.p99(), abused.quantile(1.0));
      System.out.printf("abusers: 400 %d, 413 %d, other %d, long requests served %d, disconnects cancelled %d;"
          + " %d idle connections open (%d connects failed), server had %d open as the load started (cap %d): %d evicted, %d idle-closed,"
          + " %d refused%n", abuse400.get(), abuse413.get(), abuseOther.get(), longDone.get(), st.disconnected.get(),
          idle.size(), idleRefused.get(), openAfterFlood, maxConnections, st.evicted.get(), st.idleClosed.get(),
          st.refusedConnections.get());
      double ok = abused.ok / (double) requests;
      double ratio = abused.p99() / (double) Math.max(1, alone.p99());
      System.out.printf("RESULT serve-abuse normal_ok=%.4f p99_alone_ms=%d p99_abuse_ms=%d p99_ratio=%.2f alone_ok=%.4f"
          + " rejected_400=%d too_large_413=%d cancelled=%d evicted=%d refused=%d%n", ok, alone.p99(), abused.p99(), ratio,
          alone.ok / (double) requests, abuse400.get(), abuse413.get(), st.disconnected.get(), st.evicted.get(),
          st.refusedConnections.get());
      return ok == 1.0 && ratio <= 2.0 ? 0 : 1;
    }
  }

  /** Latencies of one phase's normal requests and how many were answered 200. */
  private record Phase(long[] millis, int ok) {
    long p50() {
      return quantile(0.50);
    }

    long p99() {
      return quantile(0.99);
    }

    long quantile(double q) {
      long[] s = millis.clone();
      Arrays.sort(s);
      return s[Math.min(s.length - 1, (int) Math.ceil(q * s.length) - 1)];
    }
  }

  private Phase normal(HttpClient http, OpenAiServer server, List<Prompt> prompts) throws Exception {
    long[] ms = new long[prompts.size()];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    java.util.Map<String, Integer> failures = new java.util.concurrent.ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int c = 0; c < concurrency; c++) {
        fs.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < prompts.size(); i = next.getAndIncrement()) {
            HttpRequest r = request(server, body(prompts.get(i).problem(), 256, i));
            long t0 = System.nanoTime();
            try {
              int status = http.send(r, HttpResponse.BodyHandlers.ofString()).statusCode();
              if (status == 200) {
                ok.incrementAndGet();
              } else {
                failures.merge("HTTP " + status, 1, Integer::sum);
              }
            } catch (IOException e) {
              failures.merge(e.toString(), 1, Integer::sum);
            }
            ms[i] = (System.nanoTime() - t0) / 1_000_000;
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    failures.forEach((k, v) -> System.out.println("  normal request failed: " + v + " x " + k));
    return new Phase(ms, ok.get());
  }

  private interface Attempt {
    void run() throws Exception;
  }

  /** Repeats an abusive client's attempt while the abuse phase lasts; its failures are what it is after. */
  private void loop(Attempt a) {
    while (abusing.get() && !Thread.currentThread().isInterrupted()) {
      try {
        a.run();
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        abuseOther.incrementAndGet();
      }
    }
  }

  private void count(int status) {
    (status == 400 ? abuse400 : status == 413 ? abuse413 : abuseOther).incrementAndGet();
  }

  /** Announces a 15 MB body, then sends it in 64 KB pieces while the server keeps reading; returns the status. */
  private static int bigBody(OpenAiServer server) throws Exception {
    try (Socket s = raw(server, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: 15000000\r\n\r\n")) {
      s.setSoTimeout(10_000);
      byte[] piece = new byte[64 << 10];
      Arrays.fill(piece, (byte) ' ');
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      for (int sent = 0; sent < 15_000_000 && in.available() == 0; sent += piece.length) {
        try {
          out.write(piece);
        } catch (IOException e) {
          break; // the server closed the connection: read its answer
        }
      }
      String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      return head.startsWith("HTTP/1.1 ") ? Integer.parseInt(head.substring(9, 12)) : -1;
    }
  }

  private static Socket raw(OpenAiServer server, String head) throws IOException {
    Socket s = new Socket("127.0.0.1", server.port());
    if (!head.isEmpty()) {
      s.getOutputStream().write(head.getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
    }
    return s;
  }

  private static String post(String body) {
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
  }

  private static HttpRequest request(OpenAiServer server, String body) {
    return HttpRequest.newBuilder(URI.create(server.url() + "/chat/completions")).timeout(Duration.ofSeconds(120))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static String body(String user, long maxTokens, long seed) {
    ObjectNode o = Json.COMPACT.createObjectNode().put("model", "mock").put("max_tokens", maxTokens)
        .put("temperature", 0.7).put("seed", seed);
    o.putArray("messages").addObject().put("role", "user").put("content", user);
    return o.toString();
  }
}
