package dev.retort.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.filter.dedup.Deduplicator;
import dev.retort.filter.dedup.LshIndex;
import dev.retort.filter.dedup.MinHasher;
import dev.retort.filter.dedup.ShingleSet;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DedupTest {
  private static final String[] VOCAB = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
      + "omicron pi rho sigma tau upsilon phi chi psi omega").split(" ");

  private static String text(SplittableRandom rnd, int words) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < words; i++) {
      b.append(VOCAB[rnd.nextInt(VOCAB.length)]).append(rnd.nextInt(50)).append(' ');
    }
    return b.toString();
  }

  /** Replaces every k-th word, giving a controlled amount of change. */
  private static String perturb(String s, int every) {
    String[] w = s.split(" ");
    for (int i = 0; i < w.length; i += every) {
      w[i] = "changed" + i;
    }
    return String.join(" ", w);
  }

  @Test
  void exactJaccardOfShingleSets() {
    ShingleSet a = ShingleSet.of("a b c d", 2); // ab bc cd
    ShingleSet b = ShingleSet.of("b c d e", 2); // bc cd de
    assertEquals(2.0 / 4.0, a.jaccard(b), 1e-12);
    assertEquals(1.0, a.jaccard(ShingleSet.of("A, b; c. d!", 2)), 1e-12);
  }

  @Test
  void bothMinHashSchemesEstimateJaccard() {
    SplittableRandom rnd = new SplittableRandom(1);
    for (MinHasher h : List.of(MinHasher.classic(256), MinHasher.onePermutation(256))) {
      double worst = 0;
      for (int i = 0; i < 20; i++) {
        String x = text(rnd, 400);
        String y = perturb(x, 2 + i % 8);
        ShingleSet sx = ShingleSet.of(x, 3);
        ShingleSet sy = ShingleSet.of(y, 3);
        long[] gx = h.signature(sx.hashes());
        long[] gy = h.signature(sy.hashes());
        int eq = 0;
        for (int j = 0; j < gx.length; j++) {
          if (gx[j] == gy[j]) {
            eq++;
          }
        }
        worst = Math.max(worst, Math.abs((double) eq / gx.length - sx.jaccard(sy)));
      }
      // Standard error of the estimate with k = 256 is at most 0.5/sqrt(256) = 0.031.
      assertTrue(worst < 0.12, "MinHash estimate off by " + worst);
    }
  }

  @Test
  void signatureFromTokenWindowsEqualsSignatureOfShingles() {
    SplittableRandom rnd = new SplittableRandom(11);
    for (MinHasher h : List.of(MinHasher.onePermutation(128), MinHasher.classic(64))) {
      for (int len : new int[] {0, 1, 4, 5, 6, 40, 300}) {
        long[] tokens = new long[len];
        for (int i = 0; i < len; i++) {
          tokens[i] = dev.retort.filter.text.Tokens.textHash("w" + rnd.nextInt(20));
        }
        for (int n : new int[] {1, 5}) {
          assertArrayEquals(h.signature(dev.retort.filter.text.Tokens.ngramHashes(tokens, n)), h.signatureOfNgrams(tokens, n),
              "len " + len + " n " + n);
        }
      }
    }
  }

  @Test
  void lshFindsSimilarPairsAndRarelyDissimilarOnes() {
    SplittableRandom rnd = new SplittableRandom(2);
    MinHasher h = MinHasher.classic(128);
    LshIndex index = new LshIndex(128, 16);
    List<String> base = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      base.add(text(rnd, 60));
      index.add(i, h.signature(ShingleSet.of(base.get(i), 3).hashes()));
    }
    int found = 0;
    int spurious = 0;
    for (int i = 0; i < 200; i++) {
      String near = perturb(base.get(i), 30); // ~2 of 60 words changed: Jaccard around 0.8-0.9
      int[] c = index.candidates(h.signature(ShingleSet.of(near, 3).hashes()));
      for (int x : c) {
        if (x == i) {
          found++;
        } else {
          spurious++;
        }
      }
    }
    assertTrue(found >= 190, "near-duplicates found: " + found + "/200");
    assertTrue(spurious < 20, "unrelated candidates: " + spurious);
    assertEquals(LshIndex.candidateProbability(0.9, 128, 16), 1 - Math.pow(1 - Math.pow(0.9, 8), 16), 1e-12);
  }

  @Test
  void deduplicatorKeepsFirstAndNamesWhatItRepeats() {
    SplittableRandom rnd = new SplittableRandom(3);
    String a = text(rnd, 80);
    String b = text(rnd, 80);
    Deduplicator d = new Deduplicator(3, MinHasher.classic(128), 16, 0.8);
    assertTrue(d.offer(a).kept());
    assertTrue(d.offer(b).kept());
    Deduplicator.Outcome exact = d.offer(a.toUpperCase() + "  !!");
    assertEquals(Deduplicator.Kind.DUPLICATE, exact.kind());
    assertEquals(0, exact.of());
    String nearB = perturb(b, 40);
    assertTrue(ShingleSet.of(nearB, 3).jaccard(ShingleSet.of(b, 3)) >= 0.8);
    Deduplicator.Outcome near = d.offer(nearB);
    assertEquals(Deduplicator.Kind.NEAR_DUPLICATE, near.kind());
    assertEquals(1, near.of());
  }

  @Test
  void nearDuplicatesNeedTheSameGuard() {
    String p1 = "Ava has 12 apples and buys 30 more apples at the big market on Monday morning. How many apples does Ava have?";
    String p2 = p1.replace("Monday", "Tuesday");
    Deduplicator d = new Deduplicator(2, MinHasher.classic(128), 32, 0.7);
    assertTrue(ShingleSet.of(p1, 2).jaccard(ShingleSet.of(p2, 2)) >= 0.7);
    assertTrue(d.offer(p1, "42").kept());
    assertTrue(d.offer(p2, "43").kept(), "different answers: different problems");
    Deduplicator.Outcome o = d.offer(p1.replace("Monday", "Sunday"), "42");
    assertEquals(Deduplicator.Kind.NEAR_DUPLICATE, o.kind());
    assertEquals(0, o.of());
    // Exact duplicates ignore the guard: the same text with another answer is a conflicting label.
    assertEquals(Deduplicator.Kind.DUPLICATE, d.offer(p2.toLowerCase(), "99").kind());
  }

  @Test
  void thresholdAboveOneMeansExactOnly() {
    Deduplicator d = new Deduplicator(3, MinHasher.onePermutation(64), 8, 1.5);
    assertTrue(d.offer("the quick brown fox jumps over the lazy dog").kept());
    assertTrue(d.offer("the quick brown fox jumps over the lazy cat").kept());
    assertEquals(Deduplicator.Kind.DUPLICATE, d.offer("The quick brown fox jumps over the lazy dog.").kind());
  }
}
