package dev.retort.teacher.generate;

import java.io.Serializable;

/**
 * What one shard task did; sent back to the Spark driver (hence Serializable) and summed there.
 *
 * @param skipped the shard was already complete (main file present, no errors file)
 * @param expected (prompt, sample) pairs of the shard
 * @param succeeded rows in the shard's main file after this task
 * @param errors rows in the shard's errors file after this task
 * @param generated samples this task asked the teacher for
 * @param requests teacher requests this task sent
 * @param attempts HTTP attempts of those requests
 * @param mainBytes size of the main file this task committed (0 when skipped): the driver checks
 *     the store holds that file, with {@code succeeded} rows, before it marks the folder complete
 */
public record ShardOutcome(int shard, boolean skipped, long expected, long succeeded, long errors, long generated,
    long requests, long attempts, long promptTokens, long completionTokens, long millis, long mainBytes) implements Serializable {

  public static ShardOutcome skipped(int shard, long expected) {
    return new ShardOutcome(shard, true, expected, expected, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}
