package dev.retort.bench;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.Trace;
import dev.retort.core.datasets.Arith;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Teacher-like traces without a teacher, for the filter benchmark: arith problems, R1-style
 * reasoning padded to a realistic length, and a controlled mix of the defects the filter exists
 * for. Deterministic for a seed.
 *
 * <p>Mix per sample: 70% correct, 14% wrong answer, 5% truncated, 3% language mixing,
 * 3% repetition loop, 5% an exact copy of sample 0's reasoning.
 */
public final class SyntheticTraces {
  private static final String[] FILLER = {
      "Let me re-read the problem to make sure I have the numbers right.",
      "I should be careful with the order of the operations here.",
      "Checking this step again, the arithmetic holds.",
      "Another way to see it is to track the running total after every change.",
      "So far the count has only changed by the amounts stated in the problem.",
      "Wait, I need to double-check whether anything was given away before this.",
      "That matches what I expect from the previous line.",
      "Let me write the intermediate result down before continuing."};

  private SyntheticTraces() {}

  /**
   * Writes {@code prompts * samples} traces as {@code shards} Parquet files in {@code dir}.
   *
   * @param reasoningChars approximate reasoning length
   * @return the number of traces written
   */
  public static long write(Path dir, int prompts, int samples, int shards, int reasoningChars, long seed) {
    return write(dev.retort.core.store.Location.local(dir), prompts, samples, shards, reasoningChars, seed);
  }

  /** As {@link #write(Path, int, int, int, int, long)} into a folder on any store. */
  public static long write(dev.retort.core.store.Location dir, int prompts, int samples, int shards, int reasoningChars,
      long seed) {
    Arith.Spec spec = new Arith.Spec(2, 4, 40, 3, 400, 10);
    List<Prompt> problems = Arith.generate(spec, seed, prompts, Arith.Split.TRAIN);
    long written = 0;
    int perShard = (prompts + shards - 1) / shards;
    for (int s = 0; s < shards; s++) {
      List<Trace> rows = new ArrayList<>();
      for (int p = s * perShard; p < Math.min(prompts, (s + 1) * perShard); p++) {
        rows.addAll(traces(problems.get(p), samples, reasoningChars, seed));
      }
      written += ParquetIO.write(dir.resolve(String.format("part-%05d.parquet", s)), Codecs.TRACE, rows);
    }
    return written;
  }

  /** The samples of one prompt. */
  public static List<Trace> traces(Prompt prompt, int samples, int reasoningChars, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed ^ prompt.id().hashCode());
    List<Trace> out = new ArrayList<>(samples);
    String first = null;
    for (int i = 0; i < samples; i++) {
      int roll = rnd.nextInt(100);
      String reasoning = reasoning(prompt, rnd, reasoningChars);
      String answer = "So the final answer is \\boxed{" + prompt.referenceAnswer() + "}.";
      String finish = "stop";
      if (roll < 14) {
        answer = "So the final answer is \\boxed{" + (Integer.parseInt(prompt.referenceAnswer()) + 1 + rnd.nextInt(5)) + "}.";
      } else if (roll < 19) {
        finish = "length";
        answer = "";
      } else if (roll < 22) {
        reasoning = reasoning + " 我们再检查一遍这个计算结果是否正确。";
      } else if (roll < 25) {
        reasoning = reasoning + " Wait, let me count again from the start.".repeat(30);
      } else if (roll < 30 && first != null) {
        reasoning = first;
      }
      if (i == 0) {
        first = reasoning;
      }
      int tokens = (reasoning.length() + answer.length()) / 4;
      out.add(new Trace(prompt.id(), i, "synthetic", prompt.source(), prompt.problem(), prompt.referenceAnswer(),
          AnswerType.NUMBER, new SamplingParams(0.6, 0.95, 0, 4096, seed + i), reasoning, answer, finish,
          prompt.problem().length() / 4 + 20, tokens, 100 + rnd.nextInt(900), null));
    }
    return out;
  }

  private static String reasoning(Prompt p, SplittableRandom rnd, int chars) {
    StringBuilder b = new StringBuilder("Okay, let's solve this step by step.");
    String[] steps = p.solution().split("\n");
    int perStep = Math.max(1, chars / Math.max(1, steps.length) / 70);
    for (String step : steps) {
      for (int f = 0; f < perStep && b.length() < chars; f++) {
        b.append(' ').append(FILLER[rnd.nextInt(FILLER.length)]);
      }
      b.append(" Now ").append(step).append('.');
    }
    return b.toString();
  }
}
