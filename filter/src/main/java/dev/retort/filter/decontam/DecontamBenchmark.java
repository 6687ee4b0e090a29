package dev.retort.filter.decontam;

import java.util.List;

/**
 * A benchmark's problem texts, under the name that contaminated prompts are rejected with
 * ({@code contaminated:<name>}).
 *
 * @param match how a prompt is compared with these problems
 */
public record DecontamBenchmark(String name, List<String> problems, Match match) {
  /** How prompts are matched against a benchmark. */
  public enum Match {
    /** Any shared word n-gram (natural-language benchmarks: MATH-500, GSM8K, AIME). */
    NGRAM,
    /**
     * Equal normalized text only. For templated benchmarks such as the arith test split, where every
     * problem shares the template's n-grams with every training problem, so n-gram matching flags
     * train problems that by construction share no problem with the test split.
     */
    WHOLE_TEXT
  }

  public DecontamBenchmark {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("benchmark name must not be blank");
    }
    problems = List.copyOf(problems);
    match = match == null ? Match.NGRAM : match;
  }

  public DecontamBenchmark(String name, List<String> problems) {
    this(name, problems, Match.NGRAM);
  }
}
