package dev.retort.core.data;

/**
 * Sampling settings of one request. {@code seed} is null when the caller did not fix one.
 * Temperature 0 means greedy decoding.
 */
public record SamplingParams(double temperature, double topP, int topK, int maxTokens, Long seed) {
  public SamplingParams {
    if (temperature < 0) {
      throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
    }
    if (topP <= 0 || topP > 1) {
      throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
    }
    if (maxTokens <= 0) {
      throw new IllegalArgumentException("max-tokens must be > 0, got " + maxTokens);
    }
  }

  /** The same settings with a per-sample seed derived from a base seed, so samples differ but replay. */
  public SamplingParams withSeed(Long newSeed) {
    return new SamplingParams(temperature, topP, topK, maxTokens, newSeed);
  }
}
