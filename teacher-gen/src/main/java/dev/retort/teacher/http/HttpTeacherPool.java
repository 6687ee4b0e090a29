package dev.retort.teacher.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.io.Json;
import dev.retort.model.ChatMessage;
import dev.retort.teacher.Choice;
import dev.retort.teacher.ReasoningParser;
import dev.retort.teacher.TeacherClient;
import dev.retort.teacher.TeacherException;
import dev.retort.teacher.TeacherRequest;
import dev.retort.teacher.TeacherResponse;
import dev.retort.teacher.TeacherSettings;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible {@code /v1/chat/completions} client over a pool of endpoints (vLLM, SGLang,
 * TGI, DJL Serving, {@code retort serve}).
 *
 * <p>Design choices:
 * <ul>
 *   <li>Asynchronous end to end (Netty, one event loop): a request waits in a queue, not on a
 *       thread, so thousands can be in flight from one executor core.
 *   <li>Two bounds: in flight per executor JVM (all endpoints) and per endpoint. The queue is
 *       drained to the healthy endpoint with the fewest requests in flight, so a slow endpoint gets
 *       less work and a fast one stays saturated.
 *   <li>Health: connection errors, timeouts and 5xx count as endpoint failures; after
 *       {@code ejectAfterFailures} in a row the endpoint leaves the rotation and is probed
 *       ({@code GET /v1/models}) every {@code probeInterval} until it answers. A 429 is back-pressure,
 *       not sickness: it is retried, honouring Retry-After, without ejecting. If every endpoint is
 *       out, requests still go to them, so retries run out and every future completes instead of
 *       waiting forever.
 *   <li>Retries on connection errors, 408, 429, 5xx and timeouts, with exponential backoff and
 *       jitter; other 4xx fail at once (they cannot improve). Each attempt has its own timeout.
 *   <li>The API key is held here and sent as a bearer token; it is never logged or put in errors.
 * </ul>
 */
public final class HttpTeacherPool implements TeacherClient {
  private static final Logger LOG = LoggerFactory.getLogger(HttpTeacherPool.class);

  private final List<Endpoint> endpoints;
  private final String model;
  private final Map<String, String> headers;
  private final Duration requestTimeout;
  private final int maxRetries;
  private final Backoff backoff;
  private final int maxPerEndpoint;
  private final int maxInFlight;
  private final int ejectAfter;
  private final Duration probeInterval;
  private final NettyHttpClient http;

  private final Object lock = new Object();
  private final ArrayDeque<Job> queue = new ArrayDeque<>();
  /** Jobs waiting out a backoff; close() fails them, since their timers die with the event loop. */
  private final java.util.Set<Job> backingOff = new java.util.HashSet<>();
  private int inFlight;
  private int rotation;
  private boolean closed;
  private boolean pumpScheduled;
  /** Dispatch runs on this event loop: connection pool, timers and writes need no thread hand-off there. */
  private final io.netty.channel.EventLoop loop;

  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong ejections = new AtomicLong();

  private HttpTeacherPool(Builder b, String apiKey) {
    this.model = b.model;
    this.requestTimeout = b.requestTimeout;
    this.maxRetries = b.maxRetries;
    this.backoff = new Backoff(b.backoffInitial, b.backoffMax);
    this.maxPerEndpoint = b.maxInFlightPerEndpoint;
    this.maxInFlight = b.maxInFlightPerExecutor;
    this.ejectAfter = b.ejectAfterFailures;
    this.probeInterval = b.probeInterval;
    this.headers = apiKey == null ? Map.of() : Map.of("Authorization", "Bearer " + apiKey);
    this.http = new NettyHttpClient(b.ioThreads, b.connectTimeout, "retort-teacher-io");
    List<Endpoint> eps = new ArrayList<>();
    for (String e : b.endpoints) {
      eps.add(new Endpoint(e));
    }
    this.endpoints = List.copyOf(eps);
    this.loop = http.group().next();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A pool configured from the {@code teacher} section (key resolved from its env var or file). */
  public static HttpTeacherPool from(TeacherSettings s) {
    return builder().settings(s).build();
  }

  @Override
  public String modelId() {
    return model;
  }

  @Override
  public CompletableFuture<TeacherResponse> complete(TeacherRequest request) {
    Job job = new Job(request, encode(request));
    requests.incrementAndGet();
    synchronized (lock) {
      if (closed) {
        job.result.completeExceptionally(new TeacherException("teacher client closed", 0, 0, null));
        return job.result;
      }
      queue.add(job);
      if (pumpScheduled) {
        return job.result; // a dispatch is already on its way to the loop; it will take this job too
      }
      pumpScheduled = true;
    }
    // Callers (Spark task threads) only encode and enqueue; one task on the event loop dispatches
    // everything queued since, so thousands of submits cost a handful of thread hand-offs.
    try {
      loop.execute(this::pump);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      pump();
    }
    return job.result;
  }

  /** Counters and endpoint states, for progress lines, stats.json and tests. */
  public PoolStats stats() {
    List<EndpointStatus> eps = new ArrayList<>();
    synchronized (lock) {
      for (Endpoint e : endpoints) {
        eps.add(new EndpointStatus(e.base, e.healthy, e.inFlight, e.consecutiveFailures, e.ejections, e.successes, e.failures));
      }
      return new PoolStats(requests.get(), attempts.get(), retries.get(), http.staleRetries(), failures.get(),
          ejections.get(), inFlight, queue.size(), eps);
    }
  }

  /**
   * @param requests calls of complete()
   * @param attempts HTTP attempts (requests + retries + probes not counted)
   * @param retries attempts after a retryable failure
   * @param staleRetries free immediate resends after a reused idle keep-alive connection was found
   *     closed (not counted as attempts or endpoint failures)
   * @param failures requests that failed for good
   * @param ejections times an endpoint was taken out of rotation
   */
  public record PoolStats(long requests, long attempts, long retries, long staleRetries, long failures, long ejections, int inFlight,
      int queued, List<EndpointStatus> endpoints) {}

  public record EndpointStatus(String url, boolean healthy, int inFlight, int consecutiveFailures, long ejections,
      long successes, long failures) {}

  @Override
  public void close() {
    List<Job> pending;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      pending = new ArrayList<>(queue);
      pending.addAll(backingOff);
      queue.clear();
      backingOff.clear();
    }
    for (Job j : pending) {
      j.result.completeExceptionally(new TeacherException("teacher client closed", 0, j.attempts, null));
    }
    http.close();
  }

  // ---- dispatch ----

  private void pump() {
    List<Job> jobs = null;
    List<Endpoint> targets = null;
    synchronized (lock) {
      pumpScheduled = false;
      while (!closed && !queue.isEmpty() && inFlight < maxInFlight) {
        Endpoint e = pick();
        if (e == null) {
          break;
        }
        Job j = queue.poll();
        inFlight++;
        e.inFlight++;
        if (jobs == null) {
          jobs = new ArrayList<>();
          targets = new ArrayList<>();
        }
        jobs.add(j);
        targets.add(e);
      }
    }
    if (jobs != null) {
      for (int i = 0; i < jobs.size(); i++) {
        send(jobs.get(i), targets.get(i));
      }
    }
  }

  /** The healthy endpoint with the fewest in flight; any endpoint when none is healthy. Holds lock. */
  private Endpoint pick() {
    Endpoint best = pick(true);
    if (best == null) {
      boolean anyHealthy = false;
      for (Endpoint e : endpoints) {
        anyHealthy |= e.healthy;
      }
      if (!anyHealthy) {
        best = pick(false);
      }
    }
    return best;
  }

  private Endpoint pick(boolean healthyOnly) {
    Endpoint best = null;
    int n = endpoints.size();
    rotation = (rotation + 1) % n;
    for (int k = 0; k < n; k++) {
      Endpoint e = endpoints.get((rotation + k) % n);
      if ((healthyOnly && !e.healthy) || e.inFlight >= maxPerEndpoint) {
        continue;
      }
      if (best == null || e.inFlight < best.inFlight) {
        best = e;
      }
    }
    return best;
  }

  private void send(Job job, Endpoint e) {
    job.attempts++;
    attempts.incrementAndGet();
    if (job.startNanos == 0) {
      job.startNanos = System.nanoTime();
    }
    CompletableFuture<HttpResult> f;
    try {
      f = http.send(e.chat, HttpMethod.POST, job.body, headers, requestTimeout);
    } catch (RuntimeException ex) { // e.g. the event loop is shutting down
      f = CompletableFuture.failedFuture(ex);
    }
    f.whenComplete((res, err) -> onResult(job, e, res, err));
  }

  private void onResult(Job job, Endpoint e, HttpResult res, Throwable err) {
    Outcome o = classify(job, e, res, err);
    boolean reinstated = false;
    boolean ejected = false;
    synchronized (lock) {
      inFlight--;
      e.inFlight--;
      if (o.response != null) {
        e.successes++;
        e.consecutiveFailures = 0;
        if (!e.healthy) {
          e.healthy = true;
          reinstated = true;
        }
      } else {
        e.failures++;
        if (o.endpointFault) {
          e.consecutiveFailures++;
          if (e.healthy && e.consecutiveFailures >= ejectAfter) {
            e.healthy = false;
            e.ejections++;
            ejected = true;
          }
        }
      }
    }
    if (ejected) {
      ejections.incrementAndGet();
      LOG.warn("teacher endpoint {} ejected after {} failures in a row (last: {}); probing every {} ms",
          e.base, ejectAfter, o.reason, probeInterval.toMillis());
      scheduleProbe(e);
    }
    if (reinstated) {
      LOG.warn("teacher endpoint {} answered again; back in rotation", e.base);
    }
    if (o.response != null) {
      job.result.complete(o.response);
    } else if (o.retryable && job.attempts <= maxRetries && !isClosed()) {
      retries.incrementAndGet();
      long delay = backoff.delayMs(job.attempts, o.retryAfter);
      LOG.debug("request {} attempt {} failed ({}); retrying in {} ms", job.request.id(), job.attempts, o.reason, delay);
      synchronized (lock) {
        backingOff.add(job);
      }
      schedule(() -> {
        synchronized (lock) {
          if (!backingOff.remove(job)) {
            return; // close() failed it already
          }
          queue.add(job);
        }
        pump();
      }, delay);
    } else {
      failures.incrementAndGet();
      String why = o.retryable ? "gave up after " + job.attempts + " attempts: " + o.reason : o.reason;
      job.result.completeExceptionally(new TeacherException(why, o.status, job.attempts, err));
    }
    pump();
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  private record Outcome(TeacherResponse response, boolean retryable, boolean endpointFault, int status,
      String retryAfter, String reason) {}

  private Outcome classify(Job job, Endpoint e, HttpResult res, Throwable err) {
    if (err != null) {
      Throwable c = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
      String reason = c instanceof ConnectionFailure cf
          ? (cf.timeout() ? "timeout: " : "connection: ") + c.getMessage()
          : "connection: " + c;
      return new Outcome(null, true, true, 0, null, reason);
    }
    int s = res.status();
    if (s == 200) {
      try {
        return new Outcome(parse(job, e, res.body()), false, false, s, null, null);
      } catch (IOException | RuntimeException ex) {
        return new Outcome(null, true, true, s, null, "bad response: " + ex.getMessage());
      }
    }
    String detail = errorDetail(res.body());
    String reason = "http " + s + (detail.isEmpty() ? "" : ": " + detail);
    if (s == 429 || s == 408) {
      return new Outcome(null, true, false, s, res.retryAfter(), reason);
    }
    if (s >= 500) {
      return new Outcome(null, true, true, s, res.retryAfter(), reason);
    }
    return new Outcome(null, false, false, s, null, reason);
  }

  private TeacherResponse parse(Job job, Endpoint e, byte[] body) throws IOException {
    JsonNode root = Json.COMPACT.readTree(body);
    JsonNode choices = root.path("choices");
    int n = job.request.n();
    if (!choices.isArray() || choices.size() < n) {
      throw new IOException("expected " + n + " choices, got " + (choices.isArray() ? choices.size() : "none"));
    }
    int promptTokens = root.path("usage").path("prompt_tokens").asInt(0);
    int completionTokens = root.path("usage").path("completion_tokens").asInt(0);
    List<Choice> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      JsonNode c = choices.get(i);
      ReasoningParser.Parts p = ReasoningParser.parse(c.path("message"));
      // Usage is reported per request; with n > 1 each choice gets an equal share.
      int share = completionTokens / n + (i < completionTokens % n ? 1 : 0);
      out.add(new Choice(c.path("index").asInt(i), p.reasoning(), p.answer(),
          c.path("finish_reason").isNull() ? null : c.path("finish_reason").asText(null), share));
    }
    long latency = (System.nanoTime() - job.startNanos) / 1_000_000;
    return new TeacherResponse(out, promptTokens, completionTokens, latency, job.attempts, e.base);
  }

  private static String errorDetail(byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    try {
      JsonNode n = Json.COMPACT.readTree(body);
      JsonNode m = n.path("error").path("message");
      if (m.isTextual()) {
        return truncate(m.asText());
      }
      if (n.path("error").isTextual()) {
        return truncate(n.path("error").asText());
      }
      if (n.path("message").isTextual()) {
        return truncate(n.path("message").asText());
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: fall through to the raw text
    }
    return truncate(new String(body, java.nio.charset.StandardCharsets.UTF_8));
  }

  private static String truncate(String s) {
    String one = s.replaceAll("\\s+", " ").trim();
    return one.length() > 300 ? one.substring(0, 300) + "..." : one;
  }

  private byte[] encode(TeacherRequest r) {
    ObjectNode o = Json.COMPACT.createObjectNode();
    o.put("model", model);
    ArrayNode msgs = o.putArray("messages");
    for (ChatMessage m : r.messages()) {
      msgs.addObject().put("role", m.role()).put("content", m.content());
    }
    SamplingParams s = r.sampling();
    o.put("n", r.n());
    o.put("temperature", s.temperature());
    o.put("top_p", s.topP());
    if (s.topK() > 0) {
      o.put("top_k", s.topK()); // vLLM, SGLang and TGI accept it; OpenAI proper ignores unknown fields
    }
    o.put("max_tokens", s.maxTokens());
    if (s.seed() != null) {
      o.put("seed", s.seed());
    }
    if (!r.stop().isEmpty()) {
      ArrayNode st = o.putArray("stop");
      r.stop().forEach(st::add);
    }
    o.put("stream", false);
    try {
      return Json.COMPACT.writeValueAsBytes(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- health probes ----

  private void scheduleProbe(Endpoint e) {
    schedule(() -> probe(e), probeInterval.toMillis());
  }

  private void probe(Endpoint e) {
    synchronized (lock) {
      if (closed || e.healthy) {
        return;
      }
    }
    Duration t = requestTimeout.compareTo(Duration.ofSeconds(10)) < 0 ? requestTimeout : Duration.ofSeconds(10);
    CompletableFuture<HttpResult> f;
    try {
      f = http.send(e.models, HttpMethod.GET, null, headers, t);
    } catch (RuntimeException ex) {
      return; // shutting down
    }
    f.whenComplete((res, err) -> {
      // Any HTTP answer below 500 means the server is up (404: no /v1/models, 401: a key problem
      // that real requests will report clearly).
      boolean up = err == null && res.status() < 500;
      boolean reinstated = false;
      synchronized (lock) {
        if (closed) {
          return;
        }
        if (up && !e.healthy) {
          e.healthy = true;
          e.consecutiveFailures = 0;
          reinstated = true;
        }
      }
      if (reinstated) {
        LOG.warn("teacher endpoint {} passed its probe; back in rotation", e.base);
        pump();
      } else if (!up) {
        scheduleProbe(e);
      }
    });
  }

  private void schedule(Runnable r, long delayMs) {
    try {
      http.group().schedule(r, Math.max(0, delayMs), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException ex) {
      r.run(); // the loop is closing: run now so the job sees `closed` and completes
    }
  }

  // ---- state ----

  private static final class Job {
    final TeacherRequest request;
    final byte[] body;
    final CompletableFuture<TeacherResponse> result = new CompletableFuture<>();
    int attempts;
    long startNanos;

    Job(TeacherRequest request, byte[] body) {
      this.request = request;
      this.body = body;
    }
  }

  /** One endpoint's URLs and health; mutable fields are guarded by the pool's lock. */
  private static final class Endpoint {
    final String base;
    final URI chat;
    final URI models;
    boolean healthy = true;
    int inFlight;
    int consecutiveFailures;
    long ejections;
    long successes;
    long failures;

    Endpoint(String url) {
      String b = url.trim();
      while (b.endsWith("/")) {
        b = b.substring(0, b.length() - 1);
      }
      if (!b.endsWith("/v1")) {
        b = b + "/v1";
      }
      this.base = b;
      this.chat = URI.create(b + "/chat/completions");
      this.models = URI.create(b + "/models");
    }
  }

  /**
   * Builder: {@code endpoints} and {@code model} are required; the rest default to the values of
   * teacher-gen's retort-defaults.conf.
   */
  public static final class Builder {
    private List<String> endpoints = List.of();
    private String model;
    private String apiKey;
    private Optional<String> apiKeyEnv = Optional.empty();
    private Optional<Path> apiKeyFile = Optional.empty();
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration requestTimeout = Duration.ofSeconds(600);
    private int maxRetries = 6;
    private Duration backoffInitial = Duration.ofMillis(500);
    private Duration backoffMax = Duration.ofSeconds(30);
    private int maxInFlightPerEndpoint = 256;
    private int maxInFlightPerExecutor = 1024;
    private int ejectAfterFailures = 5;
    private Duration probeInterval = Duration.ofSeconds(5);
    private int ioThreads = 1;

    private Builder() {}

    /** Everything from the {@code teacher} section. */
    public Builder settings(TeacherSettings s) {
      this.endpoints = List.copyOf(s.endpoints());
      this.model = s.model();
      this.apiKeyEnv = s.apiKeyEnv();
      this.apiKeyFile = s.apiKeyFile();
      this.connectTimeout = s.connectTimeout();
      this.requestTimeout = s.requestTimeout();
      this.maxRetries = s.maxRetries();
      this.backoffInitial = s.backoffInitial();
      this.backoffMax = s.backoffMax();
      this.maxInFlightPerEndpoint = s.maxInFlightPerEndpoint();
      this.maxInFlightPerExecutor = s.maxInFlightPerExecutor();
      this.ejectAfterFailures = s.ejectAfterFailures();
      this.probeInterval = s.probeInterval();
      this.ioThreads = s.ioThreads();
      return this;
    }

    public Builder setEndpoints(List<String> urls) {
      this.endpoints = List.copyOf(urls);
      return this;
    }

    public Builder setModel(String model) {
      this.model = model;
      return this;
    }

    /** A token given directly (tests, embedded use); configs name an env var or a file instead. */
    public Builder optApiKey(String key) {
      this.apiKey = key;
      return this;
    }

    public Builder optApiKeyEnv(String envName) {
      this.apiKeyEnv = Optional.ofNullable(envName);
      return this;
    }

    public Builder optApiKeyFile(Path file) {
      this.apiKeyFile = Optional.ofNullable(file);
      return this;
    }

    public Builder optConnectTimeout(Duration d) {
      this.connectTimeout = d;
      return this;
    }

    public Builder optRequestTimeout(Duration d) {
      this.requestTimeout = d;
      return this;
    }

    public Builder optMaxRetries(int n) {
      this.maxRetries = n;
      return this;
    }

    public Builder optBackoff(Duration initial, Duration max) {
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    public Builder optMaxInFlight(int perEndpoint, int perExecutor) {
      this.maxInFlightPerEndpoint = perEndpoint;
      this.maxInFlightPerExecutor = perExecutor;
      return this;
    }

    public Builder optEjection(int afterFailures, Duration probeInterval) {
      this.ejectAfterFailures = afterFailures;
      this.probeInterval = probeInterval;
      return this;
    }

    public Builder optIoThreads(int n) {
      this.ioThreads = n;
      return this;
    }

    public HttpTeacherPool build() {
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("teacher.endpoints: at least one endpoint is needed");
      }
      Objects.requireNonNull(model, "model");
      if (maxInFlightPerEndpoint < 1 || maxInFlightPerExecutor < 1 || ejectAfterFailures < 1 || ioThreads < 1 || maxRetries < 0) {
        throw new IllegalArgumentException("teacher pool: in-flight limits, eject-after and io-threads must be >= 1, retries >= 0");
      }
      String key = apiKey != null ? apiKey : ApiKeys.resolve(apiKeyEnv, apiKeyFile).orElse(null);
      return new HttpTeacherPool(this, key);
    }

    @Override
    public String toString() {
      return "HttpTeacherPool.Builder{endpoints=" + endpoints + ", model=" + model + ", apiKey="
          + (apiKey != null ? "<set>" : apiKeyEnv.map(e -> "env:" + e).or(() -> apiKeyFile.map(f -> "file:" + f)).orElse("none")) + "}";
    }
  }
}
