package dev.retort.teacher.generate;

import dev.retort.core.store.Location;

/**
 * What a generate run produced (also written to traces/stats.json).
 *
 * @param traces the traces folder
 * @param skipped the folder was already complete for this config: nothing ran
 * @param prompts prompts used (after rejects and limit)
 * @param rejects malformed prompt rows written to traces/rejects/
 * @param expected (prompt, sample) pairs: prompts x samples per prompt
 * @param succeeded pairs with a trace in the main shards
 * @param errors pairs in traces/errors/ (a rerun retries them)
 * @param shards shards holding prompts
 * @param shardsProcessed shards this run worked on (the others were complete)
 * @param generated samples this run asked the teacher for
 * @param requests teacher requests this run sent
 * @param attempts HTTP attempts of those requests (attempts - requests = retries)
 * @param seconds wall time of the run
 */
public record GenerateResult(Location traces, boolean skipped, long prompts, long rejects, long expected, long succeeded,
    long errors, int shards, int shardsProcessed, long generated, long requests, long attempts, long promptTokens,
    long completionTokens, double seconds) {

  /** Share of expected pairs with a successful trace. */
  public double completedFraction() {
    return expected == 0 ? 1.0 : (double) succeeded / expected;
  }
}
