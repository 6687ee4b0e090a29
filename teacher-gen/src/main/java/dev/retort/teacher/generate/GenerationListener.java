package dev.retort.teacher.generate;

/**
 * Told about every finished teacher request, from the threads that finish them: progress lines,
 * Spark accumulators and tests listen here instead of the shard loop growing branches.
 * Implementations must be thread-safe and cheap.
 */
public interface GenerationListener {
  GenerationListener NONE = (samples, ok, promptTokens, completionTokens, attempts) -> { };

  /**
   * @param samples samples the request covered (1, or n in n-per-request mode)
   * @param ok false when it ended in error rows
   * @param attempts HTTP attempts it took (retries = attempts - 1)
   */
  void onRequest(int samples, boolean ok, long promptTokens, long completionTokens, int attempts);

  static GenerationListener both(GenerationListener a, GenerationListener b) {
    return (s, ok, p, c, at) -> {
      a.onRequest(s, ok, p, c, at);
      b.onRequest(s, ok, p, c, at);
    };
  }
}
