package dev.retort.teacher.generate;

import java.util.concurrent.atomic.LongAdder;

/**
 * Live counters of finished requests. {@link #JVM} is fed by every shard processor in this JVM, so
 * in local mode the driver's progress line is live; on a cluster the driver adds the executors'
 * counts as their shards finish (Spark accumulators).
 */
public final class Progress implements GenerationListener {
  /** The counters of this JVM's shard processors. */
  public static final Progress JVM = new Progress();

  private final LongAdder samples = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder requests = new LongAdder();
  private final LongAdder attempts = new LongAdder();
  private final LongAdder promptTokens = new LongAdder();
  private final LongAdder completionTokens = new LongAdder();

  @Override
  public void onRequest(int n, boolean ok, long prompt, long completion, int att) {
    samples.add(n);
    if (!ok) {
      failed.add(n);
    }
    requests.increment();
    attempts.add(att);
    promptTokens.add(prompt);
    completionTokens.add(completion);
  }

  public Snapshot snapshot() {
    return new Snapshot(samples.sum(), failed.sum(), requests.sum(), attempts.sum(), promptTokens.sum(),
        completionTokens.sum(), System.nanoTime());
  }

  /** Counter values at one instant; differences of two give rates. */
  public record Snapshot(long samples, long failed, long requests, long attempts, long promptTokens,
      long completionTokens, long nanos) {
    public Snapshot minus(Snapshot base) {
      return new Snapshot(samples - base.samples, failed - base.failed, requests - base.requests,
          attempts - base.attempts, promptTokens - base.promptTokens, completionTokens - base.completionTokens,
          nanos - base.nanos);
    }

    public Snapshot max(Snapshot o) {
      return new Snapshot(Math.max(samples, o.samples), Math.max(failed, o.failed), Math.max(requests, o.requests),
          Math.max(attempts, o.attempts), Math.max(promptTokens, o.promptTokens),
          Math.max(completionTokens, o.completionTokens), Math.max(nanos, o.nanos));
    }

    /** One console line: done/total, request and token rates, errors and retries. */
    public String line(long total, double seconds) {
      double s = Math.max(seconds, 1e-9);
      return String.format("generate: %d/%d samples (%.1f%%), %.1f req/s, %.0f tok/s, %d errors, %d retries",
          samples, total, total == 0 ? 100.0 : 100.0 * samples / total, requests / s, completionTokens / s, failed,
          Math.max(0, attempts - requests));
    }
  }
}
