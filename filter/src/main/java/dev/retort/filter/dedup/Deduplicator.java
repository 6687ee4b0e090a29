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
  private final int bands;
  /** Built once {@link #INDEX_FROM} texts are kept; before that, band keys are compared directly. */
  private LshIndex index;
  private final List<long[]> keptBandKeys = new ArrayList<>();
  private final Map<Long, Integer> exact = new HashMap<>();
  private final List<long[]> keptGrams = new ArrayList<>();
  /** Tokens of kept texts offered as tokens, whose shingle hashes are computed on first use (else null). */
  private final List<long[]> keptTokens = new ArrayList<>();
  /** Sorted shingle sets of kept texts, built on first use. */
  private final List<ShingleSet> keptSets = new ArrayList<>();
  private final List<String> keptGuards = new ArrayList<>();
  /** Offer index of each kept text, by its slot in the LSH index. */
  private final List<Integer> keptIndexes = new ArrayList<>();
  private int offered;
  private final int expected;

  /**
   * @param shingle words per shingle
   * @param hasher the MinHash scheme and signature length
   * @param bands LSH bands (must divide the signature length)
   * @param threshold Jaccard similarity at or above which a text is a near-duplicate; above 1 turns
   *     near-duplicate detection off (exact only)
   */
  public Deduplicator(int shingle, MinHasher hasher, int bands, double threshold) {
    this(shingle, hasher, bands, threshold, 0);
  }

  /** @param expected texts that will be offered, when known (the index is then sized once) */
  public Deduplicator(int shingle, MinHasher hasher, int bands, double threshold, int expected) {
    if (shingle < 1) {
      throw new IllegalArgumentException("minhash shingle must be >= 1, got " + shingle);
    }
    this.shingle = shingle;
    this.threshold = threshold;
    this.near = threshold <= 1;
    this.hasher = hasher;
    this.bands = bands;
    this.expected = expected;
    if (bands < 1 || hasher.size() % bands != 0) {
      throw new IllegalArgumentException("minhash bands must divide num-perm, got bands=" + bands + " num-perm=" + hasher.size());
    }
  }

  /**
   * Kept texts from which candidates come from an LSH index: below, a linear scan of band keys is
   * cheaper than the index's tables (trace dedup keeps a few texts per prompt, and builds one
   * deduplicator per prompt). Both give the same candidates, in the same order.
   */
  private static final int INDEX_FROM = 16;

  public Outcome offer(String text) {
    return offer(text, null);
  }

  public Outcome offer(String text, String guard) {
    return offer(prepare(Tokens.tokenHashes(text)), guard);
  }

  /** As {@link #offer(String, String)} for text already tokenized with {@link Tokens#tokenHashes}. */
  public Outcome offerTokens(long[] tokens, String guard) {
    long h = Tokens.windowHash(tokens, 0, tokens.length);
    Integer dup = exact.get(h);
    if (dup != null) {
      // An exact repeat needs no shingles or signature.
      offered++;
      return new Outcome(Kind.DUPLICATE, dup);
    }
    if (!near) {
      return offer(new Prepared(h, null, null), guard);
    }
    // The signature straight from the token windows: the shingle hashes themselves are needed only
    // to verify a candidate, which for most texts never happens.
    long[] keys = LshIndex.bandKeys(hasher.signatureOfNgrams(tokens, shingle), bands);
    return offer(new Prepared(h, null, keys), tokens, guard);
  }

  /**
   * The hashing part of an offer, which depends on the text alone: thread-safe, so callers with
   * many texts can prepare them in parallel and offer them in order.
   */
  public Prepared prepare(long[] tokens) {
    return prepare(Tokens.windowHash(tokens, 0, tokens.length), tokens);
  }

  private Prepared prepare(long h, long[] tokens) {
    if (!near) {
      return new Prepared(h, null, null);
    }
    long[] grams = Tokens.ngramHashes(tokens, shingle);
    return new Prepared(h, grams, LshIndex.bandKeys(hasher.signature(grams), bands));
  }

  /** A text's exact hash, shingle hashes and LSH band keys (null when near-duplicates are off). */
  public record Prepared(long exactHash, long[] grams, long[] bandKeys) {}

  public Outcome offer(Prepared p, String guard) {
    return offer(p, null, guard);
  }

  /**
   * @param p hashes; its shingle hashes may be null when {@code tokens} are given, and are then
   *     computed from them only if a candidate needs verifying
   */
  private Outcome offer(Prepared p, long[] tokens, String guard) {
    int id = offered++;
    Integer dup = exact.get(p.exactHash());
    if (dup != null) {
      return new Outcome(Kind.DUPLICATE, dup);
    }
    ShingleSet set = null;
    if (near) {
      // The sorted shingle set is built only when a candidate needs verifying, which for most
      // texts is never.
      for (int c : candidates(p.bandKeys())) {
        if (!Objects.equals(keptGuards.get(c), guard)) {
          continue;
        }
        if (set == null) {
          set = ShingleSet.ofHashes(p.grams() != null ? p.grams() : Tokens.ngramHashes(tokens, shingle));
        }
        if (set.jaccard(keptSet(c)) >= threshold) {
          return new Outcome(Kind.NEAR_DUPLICATE, keptIndexes.get(c));
        }
      }
    }
    int slot = keptSets.size();
    keptIndexes.add(id);
    keptGrams.add(p.grams());
    keptTokens.add(p.grams() == null ? tokens : null);
    keptSets.add(set);
    keptGuards.add(guard);
    exact.put(p.exactHash(), id);
    if (near) {
      keptBandKeys.add(p.bandKeys());
      if (index != null) {
        index.addKeys(slot, p.bandKeys());
      } else if (keptBandKeys.size() >= INDEX_FROM) {
        index = new LshIndex(hasher.size(), bands, expected);
        for (int i = 0; i < keptBandKeys.size(); i++) {
          index.addKeys(i, keptBandKeys.get(i));
        }
      }
    }
    return new Outcome(Kind.KEPT, -1);
  }

  /** Kept slots sharing a band key, ascending, each once. */
  private int[] candidates(long[] keys) {
    if (index != null) {
      return index.candidatesOfKeys(keys);
    }
    int[] out = new int[keptBandKeys.size()];
    int n = 0;
    for (int slot = 0; slot < keptBandKeys.size(); slot++) {
      long[] kept = keptBandKeys.get(slot);
      for (int b = 0; b < keys.length; b++) {
        if (kept[b] == keys[b]) {
          out[n++] = slot;
          break;
        }
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  private ShingleSet keptSet(int slot) {
    ShingleSet s = keptSets.get(slot);
    if (s == null) {
      long[] grams = keptGrams.get(slot);
      s = ShingleSet.ofHashes(grams != null ? grams : Tokens.ngramHashes(keptTokens.get(slot), shingle));
      keptSets.set(slot, s);
    }
    return s;
  }
}
