package dev.retort.filter.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MinHasherTest {
  /** Densification by its definition: an empty bin walks forward around the ring to the first filled one. */
  private static long[] densifiedByWalking(long[] sig) {
    long[] out = sig.clone();
    int k = sig.length;
    for (int i = 0; i < k; i++) {
      if (sig[i] != Long.MAX_VALUE) {
        continue;
      }
      for (int step = 1; step < k; step++) {
        long v = sig[(i + step) % k];
        if (v != Long.MAX_VALUE) {
          out[i] = v + step * 0x100000000L;
          break;
        }
      }
    }
    return out;
  }

  @Test
  void densifyFillsEveryEmptyBinFromItsNextFilledNeighbour() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int k : new int[] {1, 2, 63, 64, 65, 128, 200}) {
      for (int trial = 0; trial < 200; trial++) {
        long[] sig = new long[k];
        double emptyShare = rnd.nextDouble();
        for (int i = 0; i < k; i++) {
          sig[i] = rnd.nextDouble() < emptyShare ? Long.MAX_VALUE : rnd.nextLong(1L << 32);
        }
        long[] expected = densifiedByWalking(sig);
        MinHasher.densify(sig);
        assertArrayEquals(expected, sig, "k=" + k + " " + Arrays.toString(expected));
      }
    }
  }
}
