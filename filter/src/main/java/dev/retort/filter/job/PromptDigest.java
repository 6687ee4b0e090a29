package dev.retort.filter.job;

import dev.retort.filter.FilterSettings;
import dev.retort.filter.PromptScreen;
import dev.retort.filter.decontam.Decontaminator;
import dev.retort.filter.dedup.Deduplicator;
import dev.retort.filter.text.Tokens;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The prompts one judge task saw, as the driver's prompt screen needs them: ids, and per prompt
 * its dedup hashes and its benchmark fingerprint ({@link Decontaminator#fingerprint}). Both depend
 * on a prompt's text alone, so the tasks compute them while judging; the driver, which must see
 * every prompt at once, only runs the greedy dedup and the index lookups. A partition's prompts
 * travel as a few arrays: one serialized record per prompt cost more than the hashing.
 */
final class PromptDigest implements Serializable {
  private static final long serialVersionUID = 1L;
  final String[] ids;
  /** Dedup hashes (null when prompts are not deduplicated): exact hash, band keys ({@code bands} each), shingles ending at {@code gramEnds}. */
  private final long[] exact;
  private final int bands;
  private final long[] bandKeys;
  private final long[] grams;
  private final int[] gramEnds;
  private final String[] guards;
  /** Benchmark fingerprints ending at {@code printEnds} (null when not decontaminating). */
  private final long[] prints;
  private final int[] printEnds;

  private PromptDigest(Builder b) {
    int n = b.count;
    this.ids = Arrays.copyOf(b.ids, n);
    boolean dedup = b.hasher != null;
    this.exact = dedup ? Arrays.copyOf(b.exact, n) : null;
    this.bands = Math.max(b.bands, 0);
    this.bandKeys = dedup && b.bandKeys != null ? Arrays.copyOf(b.bandKeys, n * bands) : null;
    this.grams = dedup ? Arrays.copyOf(b.grams, b.gramCount) : null;
    this.gramEnds = dedup ? Arrays.copyOf(b.gramEnds, n) : null;
    this.guards = dedup ? Arrays.copyOf(b.guards, n) : null;
    this.prints = b.ngram > 0 ? Arrays.copyOf(b.prints, b.printCount) : null;
    this.printEnds = b.ngram > 0 ? Arrays.copyOf(b.printEnds, n) : null;
  }

  /** Prompt {@code i} as the dedup takes it. */
  private PromptScreen.Hashed hashed(int i) {
    long[] keys = bandKeys == null || bands == 0 ? null : Arrays.copyOfRange(bandKeys, i * bands, (i + 1) * bands);
    long[] g = bands == 0 ? null : Arrays.copyOfRange(grams, i == 0 ? 0 : gramEnds[i - 1], gramEnds[i]);
    return new PromptScreen.Hashed(ids[i], new Deduplicator.Prepared(exact[i], g, keys), guards[i]);
  }

  private long[] fingerprint(int i) {
    return Arrays.copyOfRange(prints, i == 0 ? 0 : printEnds[i - 1], printEnds[i]);
  }

  /**
   * The prompt-level reasons over the prompts of every task, by prompt id: contamination (when
   * {@code index} is given), then duplication (when the settings dedup prompts). A prompt seen by
   * several tasks counts once, with the first task's text.
   */
  static Map<String, List<String>> screen(List<PromptDigest> digests, FilterSettings s, Decontaminator index) {
    // In task order, which keeps each task's prompts in their input order: the dedup sorts them by
    // id, and input sorted by id (as teacher-gen writes it) makes that sort a merge of sorted runs.
    List<PromptScreen.Hashed> hashed = new ArrayList<>();
    Map<String, Optional<String>> contaminated = new HashMap<>();
    for (PromptDigest d : digests) {
      for (int i = 0; i < d.ids.length; i++) {
        if (d.exact != null) {
          hashed.add(d.hashed(i));
        }
        if (index != null && d.prints != null) {
          Optional<String> bench = index.contaminatedBy(d.fingerprint(i));
          if (bench.isPresent()) {
            contaminated.putIfAbsent(d.ids[i], bench);
          }
        }
      }
    }
    Map<String, List<String>> dups = s.dedupPrompts() ? PromptScreen.duplicates(s, hashed) : Map.of();
    Map<String, List<String>> out = new TreeMap<>();
    for (var e : contaminated.entrySet()) {
      out.put(e.getKey(), PromptScreen.reasons(e.getValue(), dups.get(e.getKey())));
    }
    for (var e : dups.entrySet()) {
      out.putIfAbsent(e.getKey(), e.getValue());
    }
    return out;
  }

  /** Collects a task's prompts as it judges them, hashing each once. */
  static final class Builder {
    private final Deduplicator hasher;
    private final int ngram;
    private int count;
    private String[] ids = new String[64];
    private long[] exact = new long[64];
    private int bands = -1;
    private long[] bandKeys;
    private long[] grams = new long[1024];
    private int gramCount;
    private int[] gramEnds = new int[64];
    private String[] guards = new String[64];
    private long[] prints = new long[1024];
    private int printCount;
    private int[] printEnds = new int[64];

    /**
     * @param s the settings: prompts are hashed for the dedup when it is on
     * @param ngram the decontamination n, or 0 for no benchmark fingerprints
     */
    Builder(FilterSettings s, int ngram) {
      this.hasher = s.dedupPrompts() ? PromptScreen.hasher(s) : null;
      this.ngram = ngram;
    }

    void add(String id, String problem, String reference) {
      if (count == ids.length) {
        int cap = count * 2;
        ids = Arrays.copyOf(ids, cap);
        exact = Arrays.copyOf(exact, cap);
        gramEnds = Arrays.copyOf(gramEnds, cap);
        guards = Arrays.copyOf(guards, cap);
        printEnds = Arrays.copyOf(printEnds, cap);
      }
      int i = count++;
      ids[i] = id;
      if (hasher == null && ngram <= 0) {
        return;
      }
      long[] tokens = Tokens.tokenHashes(problem);
      if (hasher != null) {
        PromptScreen.Hashed h = PromptScreen.hash(hasher, new PromptScreen.PromptText(id, problem, reference), tokens);
        Deduplicator.Prepared d = h.hashes();
        exact[i] = d.exactHash();
        guards[i] = h.guard();
        if (bands < 0) {
          bands = d.bandKeys() == null ? 0 : d.bandKeys().length;
        }
        if (bands > 0) {
          if (bandKeys == null) {
            bandKeys = new long[ids.length * bands];
          } else if (bandKeys.length < ids.length * bands) {
            bandKeys = Arrays.copyOf(bandKeys, ids.length * bands);
          }
          System.arraycopy(d.bandKeys(), 0, bandKeys, i * bands, bands);
        }
        if (d.grams() != null) {
          grams = append(grams, gramCount, d.grams());
          gramCount += d.grams().length;
        }
        gramEnds[i] = gramCount;
      }
      if (ngram > 0) {
        long[] f = Decontaminator.fingerprint(tokens, ngram);
        prints = append(prints, printCount, f);
        printCount += f.length;
        printEnds[i] = printCount;
      }
    }

    private static long[] append(long[] to, int at, long[] values) {
      if (at + values.length > to.length) {
        to = Arrays.copyOf(to, Math.max(to.length * 2, at + values.length));
      }
      System.arraycopy(values, 0, to, at, values.length);
      return to;
    }

    PromptDigest build() {
      return new PromptDigest(this);
    }
  }
}
