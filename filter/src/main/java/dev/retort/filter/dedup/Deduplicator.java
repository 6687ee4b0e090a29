package dev.retort.filter.dedup;

import dev.retort.filter.text.Tokens;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Greedy deduplication in offer order: a text is kept unless it repeats a kept text exactly
 * (equal normalized tokens) or nearly (MinHash LSH candidates whose exact shingle Jaccard reaches
 * the threshold). Callers offer texts best first, so the one kept of each cluster is the best.
 *
 * <p>A near-duplicate must also carry an equal {@code guard} (may be null): two problems that
 * differ in one number have similar text but different answers, and are different problems.
 * Exact duplicates ignore the guard.
 */
public final class Deduplicator {
  /** What happened to an offered text; {@code of} is the index of the kept text it repeats, or -1. */
  public record Outcome(Kind kind, int of) {
    public boolean kept() {
      return kind == Kind.KEPT;
    }
  }

  public enum Kind { KEPT, DUPLICATE, NEAR_DUPLICATE }

  private final int shingle;
  private final double threshold;
  private final boolean near;
  private final MinHasher hasher;
  private final LshIndex index;
  private final Map<Long, Integer> exact = new HashMap<>();
  private final List<long[]> keptGrams = new ArrayList<>();
  /** Sorted shingle sets of kept texts, built on first use. */
  private final List<ShingleSet> keptSets = new ArrayList<>();
  private final List<String> keptGuards = new ArrayList<>();
  /** Offer index of each kept text, by its slot in the LSH index. */
  private final List<Integer> keptIndexes = new ArrayList<>();
  private int offered;

  /**
   * @param shingle words per shingle
   * @param hasher the MinHash scheme and signature length
   * @param bands LSH bands (must divide the signature length)
   * @param threshold Jaccard similarity at or above which a text is a near-duplicate; above 1 turns
   *     near-duplicate detection off (exact only)
   */
  public Deduplicator(int shingle, MinHasher hasher, int bands, double threshold) {
    if (shingle < 1) {
      throw new IllegalArgumentException("minhash shingle must be >= 1, got " + shingle);
    }
    this.shingle = shingle;
    this.threshold = threshold;
    this.near = threshold <= 1;
    this.hasher = hasher;
    this.index = new LshIndex(hasher.size(), bands);
  }

  public Outcome offer(String text) {
    return offer(text, null);
  }

  public Outcome offer(String text, String guard) {
    return offer(prepare(Tokens.tokenHashes(text)), guard);
  }

  /** As {@link #offer(String, String)} for text already tokenized with {@link Tokens#tokenHashes}. */
  public Outcome offerTokens(long[] tokens, String guard) {
    return offer(prepare(tokens), guard);
  }

  /**
   * The hashing part of an offer, which depends on the text alone: thread-safe, so callers with
   * many texts can prepare them in parallel and offer them in order.
   */
  public Prepared prepare(long[] tokens) {
    long h = Tokens.windowHash(tokens, 0, tokens.length);
    if (!near) {
      return new Prepared(h, null, null);
    }
    long[] grams = Tokens.ngramHashes(tokens, shingle);
    return new Prepared(h, grams, index.bandKeys(hasher.signature(grams)));
  }

  /** A text's exact hash, shingle hashes and LSH band keys (null when near-duplicates are off). */
  public record Prepared(long exactHash, long[] grams, long[] bandKeys) {}

  public Outcome offer(Prepared p, String guard) {
    int id = offered++;
    Integer dup = exact.get(p.exactHash());
    if (dup != null) {
      return new Outcome(Kind.DUPLICATE, dup);
    }
    ShingleSet set = null;
    if (near) {
      // The sorted shingle set is built only when a candidate needs verifying, which for most
      // texts is never.
      for (int c : index.candidatesOfKeys(p.bandKeys())) {
        if (!Objects.equals(keptGuards.get(c), guard)) {
          continue;
        }
        if (set == null) {
          set = ShingleSet.ofHashes(p.grams());
        }
        if (set.jaccard(keptSet(c)) >= threshold) {
          return new Outcome(Kind.NEAR_DUPLICATE, keptIndexes.get(c));
        }
      }
    }
    int slot = keptSets.size();
    keptIndexes.add(id);
    keptGrams.add(p.grams());
    keptSets.add(set);
    keptGuards.add(guard);
    exact.put(p.exactHash(), id);
    if (near) {
      index.addKeys(slot, p.bandKeys());
    }
    return new Outcome(Kind.KEPT, -1);
  }

  private ShingleSet keptSet(int slot) {
    ShingleSet s = keptSets.get(slot);
    if (s == null) {
      s = ShingleSet.ofHashes(keptGrams.get(slot));
      keptSets.set(slot, s);
    }
    return s;
  }
}
