package dev.retort.filter.decontam;

import dev.retort.filter.text.Tokens;
import java.util.List;
import java.util.Optional;

/**
 * Word n-gram decontamination (DeepSeek-R1 used n = 10, open-r1 uses 8): a prompt that shares any
 * n-gram of normalized tokens with a benchmark problem, or equals one, is contaminated.
 *
 * <p>Templated benchmarks ({@link DecontamBenchmark.Match#WHOLE_TEXT}) match equal texts only. A benchmark
 * problem shorter than n tokens has no n-gram; it matches only a prompt whose whole
 * normalized text equals it, since matching a few common words inside longer prompts would
 * reject innocent ones. An n-gram shared by several benchmarks is reported under the first in the
 * order given, so the reason is deterministic.
 */
public final class Decontaminator {
  private final int n;
  /** n-gram hash to the index in {@link #names} of the first benchmark holding it. */
  private final LongIntTable ngrams = new LongIntTable();
  /** whole-text hash to a benchmark index, likewise. */
  private final LongIntTable whole = new LongIntTable();
  private final List<String> names;

  public Decontaminator(List<DecontamBenchmark> benchmarks, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("filter.decontamination.ngram must be >= 1, got " + n);
    }
    this.n = n;
    this.names = benchmarks.stream().map(DecontamBenchmark::name).toList();
    for (int bi = 0; bi < benchmarks.size(); bi++) {
      DecontamBenchmark b = benchmarks.get(bi);
      for (String problem : b.problems()) {
        long[] t = Tokens.tokenHashes(problem);
        if (t.length == 0) {
          continue;
        }
        whole.putIfAbsent(Tokens.windowHash(t, 0, t.length), bi);
        if (b.match() == DecontamBenchmark.Match.WHOLE_TEXT) {
          continue;
        }
        if (t.length >= n) {
          for (long g : Tokens.ngramHashes(t, n)) {
            ngrams.putIfAbsent(g, bi);
          }
        }
      }
    }
  }

  /** The benchmark the prompt overlaps, if any. */
  public Optional<String> contaminatedBy(String problem) {
    return contaminatedBy(fingerprint(Tokens.tokenHashes(problem), n));
  }

  /**
   * What {@link #contaminatedBy(long[])} needs of a prompt, computed without the index (the Spark
   * job's tasks compute it while judging, before the driver has loaded the benchmarks): the hash
   * of the whole text, then its {@code n}-gram hashes. Empty for an empty text.
   *
   * @param tokens the prompt's {@link Tokens#tokenHashes}
   */
  public static long[] fingerprint(long[] tokens, int n) {
    if (tokens.length == 0) {
      return new long[0];
    }
    long whole = Tokens.windowHash(tokens, 0, tokens.length);
    if (tokens.length < n) {
      return new long[] {whole};
    }
    long[] grams = Tokens.ngramHashes(tokens, n);
    long[] out = new long[grams.length + 1];
    out[0] = whole;
    System.arraycopy(grams, 0, out, 1, grams.length);
    return out;
  }

  /** The benchmark a prompt overlaps, from its {@link #fingerprint} made with this index's n. */
  public Optional<String> contaminatedBy(long[] fingerprint) {
    if (fingerprint.length == 0) {
      return Optional.empty();
    }
    int hit = whole.get(fingerprint[0]);
    for (int i = 1; hit < 0 && i < fingerprint.length; i++) {
      hit = ngrams.get(fingerprint[i]);
    }
    return hit < 0 ? Optional.empty() : Optional.of(names.get(hit));
  }

  public int ngram() {
    return n;
  }

  public List<String> benchmarks() {
    return names;
  }

  /** Distinct n-grams indexed: a size check for logs. */
  public int indexedNgrams() {
    return ngrams.size();
  }
}
