package dev.retort.teacher.server;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link OpenAiServer} listens, batches and limits its clients.
 *
 * @param host interface to bind; 127.0.0.1 unless the caller asks for more
 * @param port 0 picks a free port ({@link OpenAiServer#port()} tells which)
 * @param servedModelName the only model id /v1/models lists and requests may name
 * @param maxBatch most samples one backend call takes
 * @param batchWait how long the batcher waits for more samples after the first
 * @param bearerToken when set, /v1/* require {@code Authorization: Bearer <token>}; never logged
 * @param reasoningFormat where answers carry the reasoning
 * @param ioThreads Netty worker threads
 * @param maxN largest n a request may ask for
 * @param maxTokensCap largest max_tokens (or max_completion_tokens) a request may ask for
 * @param maxBodyBytes largest request body; a larger one is answered 413 without being read
 * @param maxConnections most open connections; beyond it the longest-idle connection without a
 *     request in progress is closed to make room, or the new one when every connection is busy
 * @param idleTimeout a connection without traffic and without a request in progress for this
 *     long is closed
 * @param queueCapacity most samples queued or decoding; requests beyond it get 429 with Retry-After
 * @param sliceTokens new tokens per sample per scheduling round of the batcher
 */
public record ServerOptions(String host, int port, String servedModelName, int maxBatch, Duration batchWait,
    String bearerToken, ReasoningFormat reasoningFormat, int ioThreads, int maxN, int maxTokensCap, int maxBodyBytes,
    int maxConnections, Duration idleTimeout, int queueCapacity, int sliceTokens) {

  public ServerOptions {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(servedModelName, "servedModelName");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
    }
    if (maxBatch < 1) {
      throw new IllegalArgumentException("--max-batch must be >= 1, got " + maxBatch);
    }
    positive("io threads", ioThreads);
    positive("--max-n", maxN);
    positive("--max-tokens-cap", maxTokensCap);
    positive("--max-body-bytes", maxBodyBytes);
    positive("--max-connections", maxConnections);
    positive("--queue-capacity", queueCapacity);
    positive("--slice-tokens", sliceTokens);
    if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("--idle-timeout-s must be > 0, got " + idleTimeout);
    }
    reasoningFormat = reasoningFormat == null ? ReasoningFormat.REASONING_CONTENT : reasoningFormat;
    bearerToken = bearerToken == null || bearerToken.isBlank() ? null : bearerToken;
  }

  private static void positive(String option, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(option + " must be >= 1, got " + v);
    }
  }

  public static ServerOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.servedModelName = servedModelName;
    b.maxBatch = maxBatch;
    b.batchWait = batchWait;
    b.bearerToken = bearerToken;
    b.reasoningFormat = reasoningFormat;
    b.ioThreads = ioThreads;
    b.maxN = maxN;
    b.maxTokensCap = maxTokensCap;
    b.maxBodyBytes = maxBodyBytes;
    b.maxConnections = maxConnections;
    b.idleTimeout = idleTimeout;
    b.queueCapacity = queueCapacity;
    b.sliceTokens = sliceTokens;
    return b;
  }

  /** Never prints the token. */
  @Override
  public String toString() {
    return "ServerOptions{host=" + host + ", port=" + port + ", model=" + servedModelName + ", maxBatch=" + maxBatch
        + ", batchWait=" + batchWait.toMillis() + "ms, auth=" + (bearerToken == null ? "none" : "bearer")
        + ", reasoning=" + reasoningFormat + ", maxN=" + maxN + ", maxTokensCap="
        + maxTokensCap + ", maxBodyBytes=" + maxBodyBytes + ", maxConnections=" + maxConnections + ", idleTimeout="
        + idleTimeout.toSeconds() + "s, queueCapacity=" + queueCapacity + ", sliceTokens=" + sliceTokens + "}";
  }

  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 0;
    private String servedModelName = "retort";
    private int maxBatch = 16;
    private Duration batchWait = Duration.ofMillis(5);
    private String bearerToken;
    private ReasoningFormat reasoningFormat = ReasoningFormat.REASONING_CONTENT;
    private int ioThreads = 2;
    private int maxN = 128;
    private int maxTokensCap = 32768;
    private int maxBodyBytes = 1 << 20;
    private int maxConnections = 1024;
    private Duration idleTimeout = Duration.ofSeconds(60);
    private int queueCapacity = 1024;
    private int sliceTokens = Batcher.DEFAULT_SLICE_TOKENS;

    public Builder host(String v) { host = v; return this; }
    public Builder port(int v) { port = v; return this; }
    public Builder servedModelName(String v) { servedModelName = v; return this; }
    public Builder maxBatch(int v) { maxBatch = v; return this; }
    public Builder batchWait(Duration v) { batchWait = v; return this; }
    public Builder bearerToken(String v) { bearerToken = v; return this; }
    public Builder reasoningFormat(ReasoningFormat v) { reasoningFormat = v; return this; }
    public Builder ioThreads(int v) { ioThreads = v; return this; }
    public Builder maxN(int v) { maxN = v; return this; }
    public Builder maxTokensCap(int v) { maxTokensCap = v; return this; }
    public Builder maxBodyBytes(int v) { maxBodyBytes = v; return this; }
    public Builder maxConnections(int v) { maxConnections = v; return this; }
    public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
    public Builder queueCapacity(int v) { queueCapacity = v; return this; }
    public Builder sliceTokens(int v) { sliceTokens = v; return this; }

    public ServerOptions build() {
      return new ServerOptions(host, port, servedModelName, maxBatch, batchWait, bearerToken, reasoningFormat,
          ioThreads, maxN, maxTokensCap, maxBodyBytes, maxConnections, idleTimeout, queueCapacity, sliceTokens);
    }
  }
}
