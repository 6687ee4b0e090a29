package dev.retort.train;

/**
 * Indexed token sequences with a loss boundary: ids before {@code promptLength(i)} are context,
 * ids from it on are trained on. {@link TokenStore} is one; a GRPO trainer's rollouts can be another.
 */
public interface Samples {
  int size();

  int length(int sample);

  int promptLength(int sample);

  /** Copies the ids of {@code sample} into {@code dst} starting at {@code at}. */
  void copyTokens(int sample, int[] dst, int at);
}
