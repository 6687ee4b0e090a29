package dev.retort.filter;

import dev.retort.filter.dedup.Deduplicator;
import dev.retort.filter.dedup.MinHasher;
import dev.retort.filter.text.Tokens;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Prompt-level decisions, made once over all prompts of the input: benchmark contamination and
 * exact or near-duplicate prompts. The result rejects every trace of the prompts it names. The
 * judge tasks hash each prompt ({@link #hash}); the driver runs the greedy pass over the hashes
 * ({@link #duplicates}) and joins the reasons ({@link #reasons}).
 *
 * <p>Prompts are taken in id order, so which member of a duplicate cluster survives (the smallest
 * id) does not depend on how the input was sharded. Near-duplicates must also share the reference
 * answer (normalized): problems that differ only in a number look alike and are different
 * problems.
 */
public final class PromptScreen {
  /** One prompt as the traces carry it (serializable: Spark tasks collect them for the driver). */
  public record PromptText(String id, String problem, String referenceAnswer) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * A prompt's inputs to the dedup, which depend on its text alone: the Spark job computes them in
   * its judge tasks, so the driver, which must see every prompt at once, only runs the greedy pass.
   *
   * @param guard the normalized reference answer (near-duplicates must share it), or null
   */
  public record Hashed(String id, Deduplicator.Prepared hashes, String guard) {}

  /** A prompt's reasons: its contamination, then its duplication reasons (either may be absent). */
  public static List<String> reasons(Optional<String> contaminatedBy, List<String> duplication) {
    if (contaminatedBy.isEmpty()) {
      return duplication == null ? List.of() : duplication;
    }
    List<String> r = new ArrayList<>(2);
    r.add(Reasons.contaminated(contaminatedBy.get()));
    if (duplication != null) {
      r.addAll(duplication);
    }
    return List.copyOf(r);
  }

  /** A prompt's dedup hashes, with a deduplicator from {@link #hasher} (thread-safe; reuse one over many prompts). */
  public static Hashed hash(Deduplicator hasher, PromptText p) {
    return hash(hasher, p, Tokens.tokenHashes(p.problem()));
  }

  /** As {@link #hash(Deduplicator, PromptText)}, with the problem's {@link Tokens#tokenHashes} already made. */
  public static Hashed hash(Deduplicator hasher, PromptText p, long[] tokens) {
    String guard = p.referenceAnswer() == null ? null : Tokens.normalizedText(p.referenceAnswer());
    return new Hashed(p.id(), hasher.prepare(tokens), guard);
  }

  /**
   * The deduplicator the settings ask for over prompts (classic MinHash: prompts are short); its
   * {@link Deduplicator#prepare} gives the hashes {@link #duplicates} expects.
   */
  public static Deduplicator hasher(FilterSettings settings) {
    FilterSettings.MinHash mh = settings.minhash();
    return new Deduplicator(mh.shingle(), MinHasher.classic(mh.numPerm()), mh.bands(), mh.promptJaccard());
  }

  /**
   * Exact and near-duplicate prompts: taken in id order, so which member of a cluster survives
   * (the smallest id) does not depend on how the input was sharded. A repeated id counts once.
   */
  public static Map<String, List<String>> duplicates(FilterSettings settings, Collection<Hashed> prompts) {
    List<Hashed> greedy = colliding(firstOfEachId(prompts));
    greedy.sort(Comparator.comparing(Hashed::id));
    FilterSettings.MinHash mh = settings.minhash();
    Deduplicator dedup = new Deduplicator(mh.shingle(), MinHasher.classic(mh.numPerm()), mh.bands(), mh.promptJaccard(), greedy.size());
    Map<String, List<String>> out = new TreeMap<>();
    for (Hashed h : greedy) {
      Deduplicator.Outcome o = dedup.offer(h.hashes(), h.guard());
      if (o.kind() == Deduplicator.Kind.DUPLICATE) {
        out.put(h.id(), List.of(Reasons.DUPLICATE_PROMPT));
      } else if (o.kind() == Deduplicator.Kind.NEAR_DUPLICATE) {
        out.put(h.id(), List.of(Reasons.NEAR_DUPLICATE_PROMPT));
      }
    }
    return out;
  }

  /** The first prompt of each id, in the order given (as a stable sort by id keeps it). */
  private static List<Hashed> firstOfEachId(Collection<Hashed> prompts) {
    java.util.Set<String> seen = new java.util.HashSet<>(prompts.size() * 2);
    List<Hashed> out = new ArrayList<>(prompts.size());
    for (Hashed h : prompts) {
      if (seen.add(h.id())) {
        out.add(h);
      }
    }
    return out;
  }

  /**
   * The prompts that share their exact hash or a band key with another: only those can be
   * duplicates or the candidates that make one, so only they go through the greedy pass, in id
   * order; every other prompt is kept whatever the order, without a place in the LSH tables (where
   * each of its keys would be a cache miss). One key position at a time
   * (the exact hash, then each band) through one table small enough to stay in cache.
   */
  private static List<Hashed> colliding(List<Hashed> prompts) {
    int n = prompts.size();
    int bands = n == 0 || prompts.get(0).hashes().bandKeys() == null ? 0 : prompts.get(0).hashes().bandKeys().length;
    int cap = Integer.highestOneBit(Math.max(2, 2 * n)) << 1; // load below 1/2
    long[] keys = new long[cap];
    int[] holder = new int[cap];
    boolean[] shared = new boolean[n];
    for (int c = 0; c <= bands; c++) {
      java.util.Arrays.fill(holder, -1);
      for (int i = 0; i < n; i++) {
        Deduplicator.Prepared p = prompts.get(i).hashes();
        long key = c == 0 ? p.exactHash() : p.bandKeys()[c - 1];
        int slot = (int) (key ^ (key >>> 32)) & (cap - 1); // keys are mixed hashes
        while (holder[slot] >= 0 && keys[slot] != key) {
          slot = (slot + 1) & (cap - 1);
        }
        if (holder[slot] < 0) {
          keys[slot] = key;
          holder[slot] = i;
        } else {
          shared[i] = true;
          shared[holder[slot]] = true;
        }
      }
    }
    List<Hashed> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (shared[i]) {
        out.add(prompts.get(i));
      }
    }
    return out;
  }
}
