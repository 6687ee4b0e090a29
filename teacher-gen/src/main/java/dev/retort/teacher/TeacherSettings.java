package dev.retort.teacher;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.store.Location;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code teacher} section: which teacher answers and how hard to push it. Defaults live in
 * teacher-gen's {@code retort-defaults.conf}. The API key itself is never part of the config, only
 * the name of the environment variable or the file that holds it, so configs, logs and
 * provenance can be shared.
 *
 * @param backend http (an OpenAI-compatible pool) or djl (a checkpoint loaded in each executor)
 * @param endpoints base URLs of the pool, e.g. {@code http://gpu-1:8000/v1}; {@code /v1} is added when absent
 * @param model the served model name sent as {@code model}; also the teacher id of every trace
 * @param apiKeyEnv environment variable holding the bearer token (optional)
 * @param apiKeyFile file holding the bearer token (optional; read when apiKeyEnv is unset or empty)
 * @param connectTimeout TCP connect timeout of one attempt
 * @param requestTimeout wall-clock limit of one attempt (long reasoning takes minutes)
 * @param maxRetries attempts after the first on retryable failures (connection errors, 408, 429, 5xx, timeouts)
 * @param backoffInitial first retry delay; doubles per attempt, full jitter
 * @param backoffMax cap of one retry delay (a larger Retry-After wins)
 * @param maxInFlightPerEndpoint concurrent requests to one endpoint
 * @param maxInFlightPerExecutor concurrent requests of one executor JVM, all endpoints together
 * @param ejectAfterFailures consecutive endpoint failures that take an endpoint out of rotation
 * @param probeInterval how often an ejected endpoint is probed ({@code GET /v1/models})
 * @param requestMode one request per sample, or one request with n = samples per prompt
 * @param ioThreads Netty event-loop threads of the client (1 handles thousands of requests in flight)
 * @param djl the in-process backend's settings (backend = djl)
 */
public record TeacherSettings(
    Backend backend,
    List<String> endpoints,
    String model,
    Optional<String> apiKeyEnv,
    Optional<Path> apiKeyFile,
    Duration connectTimeout,
    Duration requestTimeout,
    int maxRetries,
    Duration backoffInitial,
    Duration backoffMax,
    int maxInFlightPerEndpoint,
    int maxInFlightPerExecutor,
    int ejectAfterFailures,
    Duration probeInterval,
    RequestMode requestMode,
    int ioThreads,
    DjlSettings djl) {
  public static final String SECTION = "teacher";

  public enum Backend { HTTP, DJL }

  /**
   * @param checkpoint HF-layout checkpoint directory loaded by each executor (backend = djl)
   * @param maxBatch most requests one Sampler call takes
   * @param batchWait how long the batcher waits for more requests after the first one
   * @param device auto (the task's Spark GPU address, else CPU), cpu, gpu or gpu:N
   */
  public record DjlSettings(Optional<Location> checkpoint, int maxBatch, Duration batchWait, String device) {}

  public TeacherSettings {
    require(model != null && !model.isBlank(), "teacher.model must not be empty");
    require(maxRetries >= 0, "teacher.max-retries must be >= 0");
    require(maxInFlightPerEndpoint >= 1, "teacher.max-in-flight-per-endpoint must be >= 1");
    require(maxInFlightPerExecutor >= 1, "teacher.max-in-flight-per-executor must be >= 1");
    require(ejectAfterFailures >= 1, "teacher.eject-after-failures must be >= 1");
    require(ioThreads >= 1, "teacher.io-threads must be >= 1");
    require(!requestTimeout.isNegative() && !requestTimeout.isZero(), "teacher.request-timeout must be > 0");
    require(!backoffInitial.isNegative() && backoffMax.compareTo(backoffInitial) >= 0,
        "teacher.backoff-max must be >= teacher.backoff-initial >= 0");
    require(djl.maxBatch() >= 1, "teacher.djl.max-batch must be >= 1");
    if (backend == Backend.HTTP) {
      require(endpoints != null && !endpoints.isEmpty(), "teacher.endpoints must list at least one URL when teacher.backend = http");
      for (String e : endpoints) {
        URI u;
        try {
          u = URI.create(e);
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException("teacher.endpoints: not a URL: '" + e + "'");
        }
        require(("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null,
            "teacher.endpoints: expected http(s)://host[:port][/v1], got '" + e + "'");
      }
    } else {
      require(djl.checkpoint().isPresent(), "teacher.djl.checkpoint must name a checkpoint directory when teacher.backend = djl");
    }
  }

  public static TeacherSettings from(RetortConfig config) {
    return config.section(SECTION, TeacherSettings.class);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
