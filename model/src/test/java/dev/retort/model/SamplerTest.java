package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamplerTest {
  static NDManager manager;
  static Transformer model;
  static Tokenizer tokenizer;
  static Sampler sampler;

  @BeforeAll
  static void setUp(@TempDir Path tmp) throws Exception {
    manager = TestModels.manager();
    Path file = tmp.resolve("tokenizer.json");
    CharTokenizer.write(file);
    tokenizer = Tokenizer.load(file);
    model = Transformer.create(TestModels.qwen(tokenizer.vocabSize()), 42, manager);
    TestModels.randomize(model, 5); // peaked distributions, so greedy runs are not all one token
    sampler = new Sampler(model, tokenizer);
  }

  @AfterAll
  static void tearDown() {
    tokenizer.close();
    manager.close();
  }

  static final List<int[]> PROMPTS = List.of(new int[] {10, 11, 12, 13, 14, 15, 16},
      new int[] {20, 21}, new int[] {30, 31, 32, 33});

  static SamplingOptions sampling(long seed) {
    return new SamplingOptions(12, 1.0, 0.9, 20, seed, List.of(), List.of());
  }

  @Test
  void seededSamplingIsReproducibleAndSeedsMatter() {
    List<Generation> a = sampler.generate(PROMPTS, sampling(7));
    List<Generation> b = sampler.generate(PROMPTS, sampling(7));
    List<Generation> c = sampler.generate(PROMPTS, sampling(8));
    boolean anyDiff = false;
    for (int i = 0; i < PROMPTS.size(); i++) {
      assertArrayEquals(a.get(i).tokens(), b.get(i).tokens());
      assertEquals(a.get(i).text(), b.get(i).text());
      anyDiff |= !java.util.Arrays.equals(a.get(i).tokens(), c.get(i).tokens());
      assertEquals(12, a.get(i).tokens().length);
      assertEquals(Generation.LENGTH, a.get(i).finishReason());
      assertEquals(PROMPTS.get(i).length, a.get(i).promptTokens());
    }
    assertTrue(anyDiff, "a different seed should change some sample");
  }

  @Test
  void rowSeedGivesSameTokensWhateverTheBatch() {
    SamplingOptions o = sampling(0);
    int[] target = PROMPTS.get(1);
    List<Generation> alone = sampler.generate(List.of(target), o, new long[] {99});
    List<Generation> mixed = sampler.generate(List.of(PROMPTS.get(0), target, PROMPTS.get(2)), o,
        new long[] {1, 99, 3});
    assertArrayEquals(alone.get(0).tokens(), mixed.get(1).tokens());
  }

  @Test
  void paddedBatchMatchesEachPromptAlone() {
    SamplingOptions greedy = SamplingOptions.greedy(10, List.of());
    List<Generation> batch = sampler.generate(PROMPTS, greedy);
    for (int i = 0; i < PROMPTS.size(); i++) {
      List<Generation> alone = sampler.generate(List.of(PROMPTS.get(i)), greedy);
      assertArrayEquals(alone.get(0).tokens(), batch.get(i).tokens(), "prompt " + i);
    }
    // Logits too: prefill of a left-padded batch vs each prompt alone.
    try (NDManager m = manager.newSubManager()) {
      int p = 7;
      long[] ids = new long[3 * p];
      long[] pos = new long[3 * p];
      long[] seg = new long[3 * p];
      for (int i = 0; i < 3; i++) {
        int[] pr = PROMPTS.get(i);
        for (int j = 0; j < pr.length; j++) {
          int at = i * p + p - pr.length + j;
          ids[at] = pr[j];
          pos[at] = j;
          seg[at] = 1;
        }
      }
      try (KvCache cache = model.newCache(3, p + 3)) {
        Shape s = new Shape(3, p);
        NDArray last = model.prefill(m.create(ids, s), m.create(pos, s), m.create(seg, s), cache);
        NDArray step = model.forwardStep(m.create(new long[] {5, 6, 7}, new Shape(3, 1)), cache);
        for (int i = 0; i < 3; i++) {
          long[] alone = new long[PROMPTS.get(i).length + 1];
          for (int j = 0; j < alone.length - 1; j++) {
            alone[j] = PROMPTS.get(i)[j];
          }
          alone[alone.length - 1] = 5 + i;
          NDArray full = model.logits(m, new long[][] {alone});
          assertArrayEquals(full.get(0, alone.length - 2).toFloatArray(),
              last.get(i).toFloatArray(), 1e-4f);
          assertArrayEquals(full.get(0, alone.length - 1).toFloatArray(),
              step.get(i).toFloatArray(), 1e-4f);
        }
      }
    }
  }

  @Test
  void greedyMatchesArgmaxOfFullForwardAndTopKOne() {
    int[] prompt = PROMPTS.get(0);
    Generation g = sampler.generate(List.of(prompt), SamplingOptions.greedy(6, List.of())).get(0);
    long[] seq = new long[prompt.length + 6];
    for (int i = 0; i < prompt.length; i++) {
      seq[i] = prompt[i];
    }
    for (int i = 0; i < 6; i++) {
      seq[prompt.length + i] = g.tokens()[i];
    }
    try (NDManager m = manager.newSubManager()) {
      NDArray full = model.logits(m, new long[][] {seq});
      for (int i = 0; i < 6; i++) {
        long arg = full.get(0, prompt.length - 1 + i).argMax().getLong();
        assertEquals(arg, g.tokens()[i], "step " + i);
      }
    }
    Generation k1 = sampler.generate(List.of(prompt),
        new SamplingOptions(6, 1.5, 1.0, 1, 3, List.of(), List.of())).get(0);
    assertArrayEquals(g.tokens(), k1.tokens());
  }

  @Test
  void stopTokensAndStopStringsEndRows() {
    int[] prompt = PROMPTS.get(2);
    Generation free = sampler.generate(List.of(prompt), SamplingOptions.greedy(12, List.of()))
        .get(0);
    int stopAt = 4;
    int stopId = free.tokens()[stopAt];
    int firstIndex = 0;
    while (free.tokens()[firstIndex] != stopId) {
      firstIndex++;
    }
    Generation stopped = sampler.generate(List.of(prompt),
        SamplingOptions.greedy(12, List.of(stopId))).get(0);
    assertEquals(Generation.STOP, stopped.finishReason());
    assertEquals(firstIndex + 1, stopped.tokens().length);
    assertEquals(stopId, stopped.tokens()[firstIndex]);
    assertEquals(tokenizer.decode(java.util.Arrays.copyOf(free.tokens(), firstIndex)),
        stopped.text());

    String text = free.text();
    String stop = text.substring(5, 7);
    Generation byString = sampler.generate(List.of(prompt),
        SamplingOptions.greedy(12, List.of()).withStopStrings(List.of(stop))).get(0);
    assertEquals(Generation.STOP, byString.finishReason());
    assertEquals(text.substring(0, text.indexOf(stop)), byString.text());
    assertTrue(byString.tokens().length < 12);
  }

  @Test
  void drawFollowsTopKAndTopPAndTemperature() {
    float[] logits = {0f, (float) Math.log(2), (float) Math.log(4), (float) Math.log(8), -50f};
    // probs 1/15, 2/15, 4/15, 8/15, ~0. top_p 0.6: keep 8/15 (0.53 < 0.6) then 4/15 -> {3, 2}.
    SamplingOptions p = new SamplingOptions(1, 1.0, 0.6, 0, 0, List.of(), List.of());
    int[] counts = new int[5];
    Random rng = new Random(1);
    for (int i = 0; i < 30000; i++) {
      counts[Sampler.draw(logits, 0, 5, p, rng)]++;
    }
    assertEquals(0, counts[0] + counts[1] + counts[4]);
    assertEquals(2.0 / 3, counts[3] / 30000.0, 0.015);
    // top_k 3 keeps {1, 2, 3} with probs 2/14, 4/14, 8/14.
    SamplingOptions k = new SamplingOptions(1, 1.0, 1.0, 3, 0, List.of(), List.of());
    counts = new int[5];
    for (int i = 0; i < 30000; i++) {
      counts[Sampler.draw(logits, 0, 5, k, rng)]++;
    }
    assertEquals(0, counts[0] + counts[4]);
    assertEquals(2.0 / 14, counts[1] / 30000.0, 0.015);
    // temperature 2 flattens: p ~ sqrt(1, 2, 4, 8) -> token 3 has 2.83/(1+1.41+2+2.83).
    SamplingOptions t = new SamplingOptions(1, 2.0, 1.0, 0, 0, List.of(), List.of());
    counts = new int[5];
    for (int i = 0; i < 30000; i++) {
      counts[Sampler.draw(logits, 0, 5, t, rng)]++;
    }
    double z = 1 + Math.sqrt(2) + 2 + Math.sqrt(8) + Math.exp(-25);
    assertEquals(Math.sqrt(8) / z, counts[3] / 30000.0, 0.015);
  }

  @Test
  void logprobsHaveOneFewerEntryAndMatchLogits() {
    int[] seq = {3, 9, 27, 81 % 103, 5};
    double[] lp = sampler.logprobs(seq);
    assertEquals(seq.length - 1, lp.length);
    try (NDManager m = manager.newSubManager()) {
      long[] ls = java.util.Arrays.stream(seq).asLongStream().toArray();
      NDArray logp = model.logits(m, new long[][] {ls}).logSoftmax(2);
      for (int i = 0; i < lp.length; i++) {
        assertEquals(logp.get(0, i, seq[i + 1]).getFloat(), lp[i], 1e-5);
      }
    }
    assertEquals(0, sampler.logprobs(new int[] {4}).length);
    List<double[]> batch = sampler.logprobs(List.of(seq, new int[] {3, 9}));
    assertArrayEquals(lp, batch.get(0), 1e-5);
    assertEquals(lp[0], batch.get(1)[0], 1e-5);
  }

  @Test
  @SuppressWarnings("try") // the collector only has to be open
  void worksOnThreadsWhereTorchGradModeIsOnAndInsideACollector() throws Exception {
    // Torch grad mode is thread-local and on in threads DJL did not start (server threads).
    SamplingOptions greedy = SamplingOptions.greedy(5, List.of());
    int[] expected = sampler.generate(List.of(PROMPTS.get(0)), greedy).get(0).tokens();
    double[] lp = sampler.logprobs(PROMPTS.get(1));
    int[][] got = new int[1][];
    double[][] gotLp = new double[1][];
    Thread th = new Thread(() -> {
      got[0] = sampler.generate(List.of(PROMPTS.get(0)), greedy).get(0).tokens();
      gotLp[0] = sampler.logprobs(PROMPTS.get(1));
    });
    th.start();
    th.join();
    assertArrayEquals(expected, got[0]);
    assertArrayEquals(lp, gotLp[0], 1e-6);
    try (ai.djl.training.GradientCollector gc =
        ai.djl.engine.Engine.getInstance().newGradientCollector()) {
      assertArrayEquals(expected, sampler.generate(List.of(PROMPTS.get(0)), greedy).get(0)
          .tokens());
      assertTrue(ai.djl.pytorch.jni.JniUtils.isGradMode(), "grad mode restored");
    }
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class,
        () -> sampler.generate(List.of(new int[0]), SamplingOptions.greedy(2, List.of())));
    assertThrows(IllegalArgumentException.class,
        () -> sampler.generate(List.of(new int[] {100000}), SamplingOptions.greedy(2, List.of())));
    assertThrows(IllegalArgumentException.class,
        () -> new SamplingOptions(2, -1, 1, 0, 0, List.of(), List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> new SamplingOptions(2, 1, 0, 0, 0, List.of(), List.of()));
    Sampler noTok = new Sampler(model, null);
    assertThrows(IllegalArgumentException.class, () -> noTok.generate(List.of(new int[] {1}),
        SamplingOptions.greedy(2, List.of()).withStopStrings(List.of("x"))));
    List<Generation> none = sampler.generate(List.of(new int[] {1}),
        SamplingOptions.greedy(0, List.of()));
    assertEquals(0, none.get(0).tokens().length);
    assertEquals("", none.get(0).text());
    assertFalse(sampler.generate(new ArrayList<>(), SamplingOptions.greedy(1, List.of()))
        .iterator().hasNext());
    assertNotEquals(dev.retort.core.Hashing.mix64(1), dev.retort.core.Hashing.mix64(2));
  }
}
