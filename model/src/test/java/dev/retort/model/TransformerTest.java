package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TransformerTest {
  static NDManager manager;

  @BeforeAll
  static void setUp() {
    manager = TestModels.manager();
  }

  @AfterAll
  static void tearDown() {
    manager.close();
  }

  private static float[] row(NDArray logits, int b, int t) {
    return logits.get(b, t).toFloatArray();
  }

  @Test
  void parameterCountMatchesConfigAccounting() {
    for (ModelConfig c : new ModelConfig[] {TestModels.qwen(50), TestModels.llama(50),
        TestModels.qwen3(50)}) {
      try (NDManager m = manager.newSubManager()) {
        Transformer t = Transformer.create(c, 1, m);
        assertEquals(c.parameterCount(), t.numParameters(), c.modelType());
      }
    }
  }

  @Test
  void laterTokensDoNotChangeEarlierLogits() {
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(TestModels.qwen(40), 7, m);
      NDArray a = t.logits(m, new long[][] {{1, 2, 3, 4, 5, 6}});
      NDArray b = t.logits(m, new long[][] {{1, 2, 3, 9, 9, 9}});
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(row(a, 0, i), row(b, 0, i), 1e-6f, "position " + i);
      }
      assertTrue(maxAbsDiff(row(a, 0, 3), row(b, 0, 3)) > 1e-4, "position 3 must see the change");
    }
  }

  @Test
  void kvCacheDecodingEqualsFullForward() {
    for (ModelConfig c : new ModelConfig[] {TestModels.qwen(40), TestModels.llama(40),
        TestModels.qwen3(40)}) {
      try (NDManager m = manager.newSubManager()) {
        Transformer t = Transformer.create(c, 11, m);
        TestModels.randomize(t, 13); // non-unit q_norm/k_norm weights for Qwen3
        long[] seq = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
        NDArray full = t.logits(m, new long[][] {seq});
        try (KvCache cache = t.newCache(1, 5)) { // smaller than the sequence: must grow
          int prompt = 4;
          long[] pos = new long[prompt];
          long[] seg = new long[prompt];
          for (int i = 0; i < prompt; i++) {
            pos[i] = i;
            seg[i] = 1;
          }
          long[] head = java.util.Arrays.copyOf(seq, prompt);
          NDArray last = t.prefill(m.create(head, new Shape(1, prompt)),
              m.create(pos, new Shape(1, prompt)), m.create(seg, new Shape(1, prompt)), cache);
          assertArrayEquals(row(full, 0, prompt - 1), last.toFloatArray(), 1e-5f);
          for (int i = prompt; i < seq.length; i++) {
            NDArray step = t.forwardStep(m.create(new long[] {seq[i]}, new Shape(1, 1)), cache);
            assertArrayEquals(row(full, 0, i), step.toFloatArray(), 1e-5f,
                c.modelType() + " step " + i);
          }
          assertEquals(10, cache.capacity()); // grew once: 5 -> 10
        }
      }
    }
  }

  @Test
  void multiTokenStepEqualsFullForward() {
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(TestModels.qwen(40), 12, m);
      long[] seq = {3, 1, 4, 1, 5, 9, 2};
      NDArray full = t.logits(m, new long[][] {seq});
      try (KvCache cache = t.newCache(1, 10)) {
        t.prefill(m.create(new long[] {3, 1}, new Shape(1, 2)),
            m.create(new long[] {0, 1}, new Shape(1, 2)),
            m.create(new long[] {1, 1}, new Shape(1, 2)), cache);
        NDArray out = t.forwardStep(m.create(new long[] {4, 1, 5, 9, 2}, new Shape(1, 5)), cache);
        assertArrayEquals(row(full, 0, 6), out.toFloatArray(), 1e-5f);
        assertEquals(7, cache.length());
        assertEquals(7, cache.nextPosition(0));
      }
    }
  }

  @Test
  void packedSegmentsEqualSeparateSequences() {
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(TestModels.llama(40), 5, m);
      long[] a = {5, 6, 7};
      long[] b = {8, 9, 10, 11};
      NDArray la = t.logits(m, new long[][] {a});
      NDArray lb = t.logits(m, new long[][] {b});
      long[] ids = {5, 6, 7, 8, 9, 10, 11, 0};
      long[] pos = {0, 1, 2, 0, 1, 2, 3, 0};
      long[] seg = {1, 1, 1, 2, 2, 2, 2, 0};
      Shape s = new Shape(1, 8);
      NDArray packed = t.forward(m.create(ids, s), m.create(pos, s), m.create(seg, s));
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(row(la, 0, i), row(packed, 0, i), 1e-5f);
      }
      for (int i = 0; i < 4; i++) {
        assertArrayEquals(row(lb, 0, i), row(packed, 0, 3 + i), 1e-5f);
      }
    }
  }

  @Test
  void tokenLogprobsAreLogSoftmaxOfNextToken() {
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(TestModels.qwen(30), 3, m);
      long[] seq = {1, 7, 3, 12};
      NDArray logits = t.logits(m, new long[][] {seq});
      Shape s = new Shape(1, 4);
      float[] lp = t.tokenLogprobs(m.create(seq, s), m.create(new long[] {0, 1, 2, 3}, s),
          m.create(new long[] {1, 1, 1, 1}, s)).toFloatArray();
      assertEquals(3, lp.length);
      for (int i = 0; i < 3; i++) {
        float[] l = row(logits, 0, i);
        double max = Double.NEGATIVE_INFINITY;
        for (float x : l) {
          max = Math.max(max, x);
        }
        double z = 0;
        for (float x : l) {
          z += Math.exp(x - max);
        }
        assertEquals(l[(int) seq[i + 1]] - max - Math.log(z), lp[i], 1e-5);
      }
    }
  }

  @Test
  void trainingForwardIsDifferentiable() {
    for (ModelConfig c : new ModelConfig[] {TestModels.llama(30), TestModels.qwen3(30)}) {
      try (NDManager m = manager.newSubManager()) {
        Transformer t = Transformer.create(c, 9, m);
        Shape s = new Shape(2, 5);
        NDArray ids = m.create(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, s);
        NDArray pos = m.create(new long[] {0, 1, 2, 3, 4, 0, 1, 2, 0, 1}, s);
        NDArray seg = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 2, 2}, s);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray loss = t.tokenLogprobs(ids, pos, seg).sum().neg();
          gc.backward(loss);
        }
        for (Pair<String, Parameter> p : t.getParameters()) {
          float[] g = p.getValue().getArray().getGradient().toFloatArray();
          double norm = 0;
          for (float x : g) {
            norm += x * x;
          }
          assertTrue(norm > 0, c.modelType() + ": no gradient reached " + p.getKey());
        }
      }
    }
  }

  @Test
  void parameterValuesRoundTripAndCopy() {
    try (NDManager m = manager.newSubManager()) {
      Transformer a = Transformer.create(TestModels.qwen(30), 1, m);
      Transformer b = Transformer.create(TestModels.qwen(30), 2, m);
      Map<String, float[]> va = a.parameterValues();
      assertTrue(maxAbsDiff(va.get("model.embed_tokens.weight"),
          b.parameterValues().get("model.embed_tokens.weight")) > 0);
      b.copyParametersFrom(a);
      Map<String, float[]> vb = b.parameterValues();
      va.forEach((k, v) -> assertArrayEquals(v, vb.get(k), k));
      Transformer c = Transformer.create(TestModels.qwen(30), 3, m);
      c.setParameterValues(va);
      NDArray la = a.logits(m, new long[][] {{1, 2, 3}});
      NDArray lc = c.logits(m, new long[][] {{1, 2, 3}});
      assertArrayEquals(la.toFloatArray(), lc.toFloatArray());
      // The copy is by value: training b further must not move a.
      b.weights().get("model.norm.weight").set(new NDIndex("..."), 5f);
      assertEquals(1f, a.weights().get("model.norm.weight").toFloatArray()[0]);
    }
  }

  static double maxAbsDiff(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }
}
