package dev.retort.filter.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShingleSetTest {
  @Test
  void jaccardEqualsTheSetDefinition() {
    SplittableRandom rnd = new SplittableRandom(3);
    for (int trial = 0; trial < 500; trial++) {
      // Small value ranges make repeats and overlaps common; 0 is a value like any other.
      int range = 1 + rnd.nextInt(400);
      long[] a = new long[rnd.nextInt(300)];
      long[] b = new long[rnd.nextInt(300)];
      for (int i = 0; i < a.length; i++) {
        a[i] = rnd.nextInt(range) * 0x9E3779B97F4A7C15L;
      }
      for (int i = 0; i < b.length; i++) {
        b[i] = rnd.nextInt(range) * 0x9E3779B97F4A7C15L;
      }
      Set<Long> sa = new HashSet<>();
      Set<Long> sb = new HashSet<>();
      for (long x : a) {
        sa.add(x);
      }
      for (long x : b) {
        sb.add(x);
      }
      Set<Long> inter = new HashSet<>(sa);
      inter.retainAll(sb);
      Set<Long> union = new HashSet<>(sa);
      union.addAll(sb);
      double expected = union.isEmpty() ? 1 : (double) inter.size() / union.size();
      ShingleSet x = ShingleSet.ofHashes(a);
      ShingleSet y = ShingleSet.ofHashes(b);
      assertEquals(sa.size(), x.size());
      assertEquals(expected, x.jaccard(y), 1e-12);
      assertEquals(expected, y.jaccard(x), 1e-12);
    }
  }
}
