package dev.retort.model;

import java.util.List;

/**
 * How to sample. Processing follows transformers: logits / temperature, then top-k, then top-p
 * (keep the most likely tokens until their mass reaches top_p), then a draw.
 *
 * @param maxNewTokens at most this many generated tokens per row
 * @param temperature 0 means greedy (argmax)
 * @param topP 1.0 disables nucleus filtering
 * @param topK 0 disables top-k filtering
 * @param seed row i of a batch draws from a generator seeded by (seed, i), unless per-row seeds
 *     are given to {@link Sampler#generate(List, SamplingOptions, long[])}
 * @param stopTokenIds generation of a row ends after one of these ids (kept in the tokens)
 * @param stopStrings generation of a row ends once its text contains one (cut from the text)
 */
public record SamplingOptions(int maxNewTokens, double temperature, double topP, int topK,
    long seed, List<Integer> stopTokenIds, List<String> stopStrings) {

  public SamplingOptions {
    if (maxNewTokens < 0) {
      throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
    }
    if (temperature < 0 || Double.isNaN(temperature)) {
      throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
    }
    stopTokenIds = stopTokenIds == null ? List.of() : List.copyOf(stopTokenIds);
    stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
    for (String s : stopStrings) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("stop strings must not be empty");
      }
    }
  }

  /** Greedy decoding of up to {@code maxNewTokens}, stopping on {@code stopTokenIds}. */
  public static SamplingOptions greedy(int maxNewTokens, List<Integer> stopTokenIds) {
    return new SamplingOptions(maxNewTokens, 0, 1.0, 0, 0, stopTokenIds, List.of());
  }

  /** Plain temperature sampling with a seed. */
  public static SamplingOptions sample(int maxNewTokens, double temperature, long seed,
      List<Integer> stopTokenIds) {
    return new SamplingOptions(maxNewTokens, temperature, 1.0, 0, seed, stopTokenIds, List.of());
  }

  public SamplingOptions withSeed(long newSeed) {
    return new SamplingOptions(maxNewTokens, temperature, topP, topK, newSeed, stopTokenIds,
        stopStrings);
  }

  public SamplingOptions withStopStrings(List<String> strings) {
    return new SamplingOptions(maxNewTokens, temperature, topP, topK, seed, stopTokenIds, strings);
  }
}
