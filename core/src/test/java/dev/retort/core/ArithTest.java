package dev.retort.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ArithTest {
  private final Arith.Spec spec = Arith.Spec.defaults();

  @Test
  void deterministicForASeed() {
    assertEquals(Arith.generate(spec, 7, 200, Arith.Split.TRAIN), Arith.generate(spec, 7, 200, Arith.Split.TRAIN));
    assertNotEquals(Arith.generate(spec, 7, 200, Arith.Split.TRAIN), Arith.generate(spec, 8, 200, Arith.Split.TRAIN));
  }

  @Test
  void splitsNeverShareAProblemWhateverTheSeeds() {
    Set<String> train = new HashSet<>();
    for (Prompt p : Arith.generate(spec, 1, 3000, Arith.Split.TRAIN)) {
      train.add(p.metadata().get("canonical"));
    }
    for (long seed : new long[] {1, 2, 99}) {
      for (Prompt p : Arith.generate(spec, seed, 200, Arith.Split.TEST)) {
        assertTrue(!train.contains(p.metadata().get("canonical")), "test problem in train: " + p.problem());
      }
    }
    List<Prompt> test = Arith.generate(spec, 1, 300, Arith.Split.TEST);
    assertEquals(300, new HashSet<>(test.stream().map(Prompt::id).toList()).size(), "ids unique");
  }

  @Test
  void solutionsComputeTheReferenceAnswer() {
    for (Prompt p : Arith.generate(new Arith.Spec(1, 4, 30, 4, 150, 10), 3, 500, Arith.Split.TRAIN)) {
      String[] lines = p.solution().split("\n");
      int steps = Integer.parseInt(p.metadata().get("steps"));
      assertEquals(steps, lines.length);
      long value = -1;
      for (String line : lines) {
        String[] t = line.split(" ");
        long a = Long.parseLong(t[0]);
        long b = Long.parseLong(t[2]);
        long r = switch (t[1]) {
          case "+" -> a + b;
          case "-" -> a - b;
          default -> a * b;
        };
        assertEquals(r, Long.parseLong(t[4]), line);
        if (value >= 0) {
          assertEquals(value, a, "each step starts from the previous result");
        }
        value = r;
        assertTrue(r >= 0 && r <= 150, "values stay in range: " + line);
      }
      assertEquals(Long.toString(value), p.referenceAnswer());
    }
  }

  @Test
  void tooSmallProblemSpaceFailsClearly() {
    Arith.Spec tiny = new Arith.Spec(1, 1, 2, 1, 4, 50);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Arith.generate(tiny, 1, 1000, Arith.Split.TRAIN));
    assertTrue(e.getMessage().contains("distinct"));
  }
}
