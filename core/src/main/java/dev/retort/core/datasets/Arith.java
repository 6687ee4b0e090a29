package dev.retort.core.datasets;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.Prompt;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The embedded task family: multi-step arithmetic word problems with step-by-step reference
 * solutions and integer answers. Deterministic for a seed. Small enough for a transformer of a
 * few million parameters to learn on 2 CPU cores, and harder with more steps or larger operands,
 * so a smaller model learns it less well.
 *
 * <p>The split of a problem is a function of the problem itself (a hash of its canonical form), so
 * train and test never share a problem whatever the seeds or counts asked for.
 */
public final class Arith {
  public enum Split { TRAIN, TEST }

  /**
   * Difficulty knobs.
   *
   * @param minSteps fewest operations after the starting amount
   * @param maxSteps most operations
   * @param maxOperand largest starting amount and added/removed amount
   * @param maxFactor largest multiplier (below 2 disables multiplication)
   * @param maxValue running totals never exceed this
   * @param testPercent share of the problem space (by hash) reserved for the test split
   */
  public record Spec(int minSteps, int maxSteps, int maxOperand, int maxFactor, int maxValue, int testPercent) {
    public Spec {
      if (minSteps < 1 || maxSteps < minSteps) {
        throw new IllegalArgumentException("arith steps: need 1 <= min-steps <= max-steps, got " + minSteps + ".." + maxSteps);
      }
      if (maxOperand < 2 || maxValue < maxOperand) {
        throw new IllegalArgumentException("arith: need 2 <= max-operand <= max-value");
      }
      if (testPercent <= 0 || testPercent >= 100) {
        throw new IllegalArgumentException("arith test-percent must be in 1..99, got " + testPercent);
      }
    }

    public static Spec defaults() {
      return new Spec(2, 3, 20, 3, 99, 10);
    }
  }

  private static final String[] NAMES = {"Ava", "Ben", "Cleo", "Dan", "Eli", "Fay", "Gus", "Ivy", "Jon", "Kim", "Leo", "Mia"};
  private static final String[] ITEMS = {"apples", "coins", "books", "cards", "shells", "stamps", "pens", "eggs"};

  private Arith() {}

  /** One step: op is '+', '-' or '*'. */
  record Step(char op, int amount) {}

  /**
   * Generates {@code n} distinct problems of the requested split.
   *
   * @throws IllegalArgumentException if the problem space of this spec is too small for n
   */
  public static List<Prompt> generate(Spec spec, long seed, int n, Split split) {
    SplittableRandom rnd = new SplittableRandom(seed * 31 + split.ordinal());
    Set<String> seen = new LinkedHashSet<>();
    List<Prompt> out = new ArrayList<>(n);
    long tries = 0;
    long maxTries = 200L * n + 10_000;
    while (out.size() < n) {
      if (++tries > maxTries) {
        throw new IllegalArgumentException("arith: could not find " + n + " distinct " + split.name().toLowerCase()
            + " problems for this spec (found " + out.size() + "); raise max-operand or max-steps");
      }
      int start = 1 + rnd.nextInt(spec.maxOperand());
      int steps = spec.minSteps() + rnd.nextInt(spec.maxSteps() - spec.minSteps() + 1);
      List<Step> ops = new ArrayList<>();
      int value = start;
      for (int s = 0; s < steps; s++) {
        Step st = nextStep(rnd, spec, value);
        ops.add(st);
        value = apply(value, st);
      }
      String key = canonical(start, ops);
      if (splitOf(key, spec) != split || !seen.add(key)) {
        continue;
      }
      String name = NAMES[rnd.nextInt(NAMES.length)];
      String item = ITEMS[rnd.nextInt(ITEMS.length)];
      out.add(toPrompt(key, name, item, start, ops, split));
    }
    return out;
  }

  /** The split a canonical problem belongs to: a pure function of the problem. */
  public static Split splitOf(String canonicalKey, Spec spec) {
    int h = mix(canonicalKey.hashCode());
    return Math.floorMod(h, 100) < spec.testPercent() ? Split.TEST : Split.TRAIN;
  }

  static String canonical(int start, List<Step> ops) {
    StringBuilder b = new StringBuilder().append(start);
    for (Step s : ops) {
      b.append(s.op()).append(s.amount());
    }
    return b.toString();
  }

  private static Step nextStep(SplittableRandom rnd, Spec spec, int value) {
    for (;;) {
      int kind = rnd.nextInt(spec.maxFactor() >= 2 ? 3 : 2);
      if (kind == 0) {
        int a = 1 + rnd.nextInt(spec.maxOperand());
        if (value + a <= spec.maxValue()) {
          return new Step('+', a);
        }
      } else if (kind == 1) {
        if (value > 1) {
          int a = 1 + rnd.nextInt(Math.min(value - 1, spec.maxOperand()));
          return new Step('-', a);
        }
      } else {
        int f = 2 + rnd.nextInt(spec.maxFactor() - 1);
        if ((long) value * f <= spec.maxValue()) {
          return new Step('*', f);
        }
      }
    }
  }

  private static int apply(int v, Step s) {
    return switch (s.op()) {
      case '+' -> v + s.amount();
      case '-' -> v - s.amount();
      default -> v * s.amount();
    };
  }

  private static Prompt toPrompt(String key, String name, String item, int start, List<Step> ops, Split split) {
    StringBuilder problem = new StringBuilder();
    problem.append(name).append(" has ").append(start).append(' ').append(item).append('.');
    StringBuilder solution = new StringBuilder();
    int v = start;
    for (Step s : ops) {
      problem.append(' ').append(switch (s.op()) {
        // Terse on purpose: the problem text is most of every training row, and a
        // sub-million-parameter model on 2 cores learns per token it reads.
        case '+' -> "Gets " + s.amount() + " more.";
        case '-' -> "Gives " + s.amount() + " away.";
        default -> "Multiplies them by " + s.amount() + ".";
      });
      int next = apply(v, s);
      if (solution.length() > 0) {
        solution.append('\n');
      }
      solution.append(v).append(' ').append(s.op()).append(' ').append(s.amount()).append(" = ").append(next);
      v = next;
    }
    problem.append(" How many ").append(item).append(" now?");
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("split", split.name().toLowerCase());
    meta.put("steps", Integer.toString(ops.size()));
    meta.put("canonical", key);
    return new Prompt("arith-" + Integer.toHexString(mix(key.hashCode())) + "-" + key.length(), "arith-" + split.name().toLowerCase(),
        problem.toString(), Integer.toString(v), AnswerType.NUMBER, solution.toString(), meta);
  }

  /** The final answer text of a reference solution, in Retort's format. */
  public static String answerText(Prompt p) {
    return "The answer is \\boxed{" + p.referenceAnswer() + "}.";
  }

  private static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
