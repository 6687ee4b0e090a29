package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimTest {
  static {
    TestData.prompts(1, 1); // engine settings of TestData
  }

  @Test
  void scheduleWarmsUpThenDecaysToTheFloor() {
    LrSchedule s = LrSchedule.warmupCosine(1e-3, 0.1, 10, 110);
    assertEquals(1e-4, s.lr(0), 1e-12);
    assertEquals(1e-3, s.lr(9), 1e-12);
    assertEquals(1e-3, s.lr(10), 1e-12);
    assertEquals(1e-4, s.lr(109), 1e-12);
    assertEquals(1e-4, s.lr(500), 1e-12);
    assertEquals(0.55e-3, s.lr(59), 0.02e-3); // about half way down
    for (long k = 10; k < 109; k++) {
      assertTrue(s.lr(k + 1) <= s.lr(k));
    }
  }

  @Test
  void clipScaleBringsTheNormDown() {
    assertEquals(1.0, GradClip.scale(0.5, 1.0));
    assertEquals(1.0, GradClip.scale(5, 0));
    assertEquals(0.25, GradClip.scale(4, 1.0), 1e-6);
  }

  /**
   * AdamW against a plain-Java transcription of torch.optim.AdamW (decoupled decay) on a matrix,
   * and no decay on a 1-d tensor; the global norm against a direct sum of squares.
   */
  @Test
  void adamwMatchesTheReferenceUpdate() {
    TestData.engine();
    try (NDManager m = NDManager.newBaseManager()) {
      float[] w0 = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f};
      float[] b0 = {0.1f, -0.2f};
      NDArray w = m.create(w0.clone(), new Shape(3, 2));
      NDArray b = m.create(b0.clone(), new Shape(2));
      w.setRequiresGradient(true);
      b.setRequiresGradient(true);
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("w", w);
      params.put("b", b);
      double lr = 0.01;
      double wd = 0.1;
      AdamW opt = new AdamW(params, 0.9, 0.95, 1e-8, wd, AdamW::matricesOnly);
      float[] x = {1f, 2f, -1f};
      double[] refW = toDouble(w0);
      double[] refB = toDouble(b0);
      double[] mW = new double[6], vW = new double[6], mB = new double[2], vB = new double[2];
      for (int t = 1; t <= 3; t++) {
        // loss = sum((x^T W + b)^2): dL/dW[i][j] = 2 x_i y_j, dL/db_j = 2 y_j with y = x^T W + b
        double[] y = new double[2];
        for (int j = 0; j < 2; j++) {
          y[j] = refB[j];
          for (int i = 0; i < 3; i++) {
            y[j] += x[i] * refW[i * 2 + j];
          }
        }
        double[] gW = new double[6];
        double[] gB = new double[2];
        for (int j = 0; j < 2; j++) {
          gB[j] = 2 * y[j];
          for (int i = 0; i < 3; i++) {
            gW[i * 2 + j] = 2 * x[i] * y[j];
          }
        }
        try (GradientCollector gc = Engine.getInstance().newGradientCollector(); NDManager s = m.newSubManager()) {
          NDArray xs = s.create(x, new Shape(1, 3));
          gc.backward(xs.matMul(w).add(b).square().sum());
        }
        double norm;
        try (NDManager s = m.newSubManager()) {
          norm = GradClip.globalNorm(opt.gradients(s).values());
        }
        double sq = 0;
        for (double g : gW) {
          sq += g * g;
        }
        for (double g : gB) {
          sq += g * g;
        }
        assertEquals(Math.sqrt(sq), norm, 1e-4 * Math.sqrt(sq));
        double scale = GradClip.scale(norm, 5.0);
        opt.step(lr, scale);
        reference(refW, gW, mW, vW, t, lr, wd, scale);
        reference(refB, gB, mB, vB, t, lr, 0, scale);
      }
      float[] gotW = w.toFloatArray();
      float[] gotB = b.toFloatArray();
      for (int i = 0; i < 6; i++) {
        assertEquals(refW[i], gotW[i], 1e-5, "w[" + i + "]");
      }
      for (int i = 0; i < 2; i++) {
        assertEquals(refB[i], gotB[i], 1e-5, "b[" + i + "]");
      }
      assertEquals(3, opt.steps());
      assertEquals(List.of("exp_avg.w", "exp_avg.b", "exp_avg_sq.w", "exp_avg_sq.b"), List.copyOf(opt.stateTensors().keySet()));
    }
  }

  /**
   * The in-place update a block of rows at a time (blocks of 4 values: one row of the [7, 3]
   * matrix, 4 and 1 values of the vector) against the reference formula, and bit for bit against
   * the update of whole tensors, over three steps with clipping and decay.
   */
  @Test
  void blockwiseInPlaceUpdateMatchesTheReferenceAndTheWholeTensorUpdate() {
    TestData.engine();
    java.util.Random r = new java.util.Random(7);
    float[] w0 = new float[21];
    float[] b0 = new float[5];
    for (int i = 0; i < w0.length; i++) {
      w0[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < b0.length; i++) {
      b0[i] = (float) r.nextGaussian();
    }
    float[][] gradsW = new float[3][21];
    float[][] gradsB = new float[3][5];
    for (int t = 0; t < 3; t++) {
      for (int i = 0; i < 21; i++) {
        gradsW[t][i] = (float) (3 * r.nextGaussian());
      }
      for (int i = 0; i < 5; i++) {
        gradsB[t][i] = (float) (3 * r.nextGaussian());
      }
    }
    double lr = 0.02;
    double wd = 0.1;
    double[] scales = {1.0, 0.37, 1.0};
    try (NDManager m = NDManager.newBaseManager()) {
      float[][] blocked = runAdamW(m, w0, b0, gradsW, gradsB, lr, wd, scales, 4);
      float[][] whole = runAdamW(m, w0, b0, gradsW, gradsB, lr, wd, scales, AdamW.BLOCK_ELEMENTS);
      double[] refW = toDouble(w0);
      double[] refB = toDouble(b0);
      double[] mW = new double[21], vW = new double[21], mB = new double[5], vB = new double[5];
      for (int t = 0; t < 3; t++) {
        reference(refW, toDouble(gradsW[t]), mW, vW, t + 1, lr, wd, scales[t]);
        reference(refB, toDouble(gradsB[t]), mB, vB, t + 1, lr, 0, scales[t]);
      }
      for (int i = 0; i < 21; i++) {
        assertEquals(refW[i], blocked[0][i], 1e-6 * Math.max(1, Math.abs(refW[i])), "w[" + i + "]");
        assertEquals(Float.floatToIntBits(whole[0][i]), Float.floatToIntBits(blocked[0][i]), "w[" + i + "] bits");
      }
      for (int i = 0; i < 5; i++) {
        assertEquals(refB[i], blocked[1][i], 1e-6 * Math.max(1, Math.abs(refB[i])), "b[" + i + "]");
        assertEquals(Float.floatToIntBits(whole[1][i]), Float.floatToIntBits(blocked[1][i]), "b[" + i + "] bits");
      }
      assertTrue(java.util.Arrays.equals(whole[2], blocked[2]), "moments");
    }
  }

  /**
   * Three AdamW steps on a [7, 3] matrix and a [5] vector with the given gradients (of the loss
   * sum(w * gw) + sum(b * gb)); returns the weights, the vector and the matrix's moments.
   */
  private static float[][] runAdamW(NDManager parent, float[] w0, float[] b0, float[][] gw, float[][] gb, double lr,
      double wd, double[] scales, long blockElements) {
    try (NDManager m = parent.newSubManager()) {
      NDArray w = m.create(w0.clone(), new Shape(7, 3));
      NDArray b = m.create(b0.clone(), new Shape(5));
      w.setRequiresGradient(true);
      b.setRequiresGradient(true);
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("w", w);
      params.put("b", b);
      AdamW opt = new AdamW(params, 0.9, 0.95, 1e-8, wd, AdamW::matricesOnly, blockElements);
      for (int t = 0; t < gw.length; t++) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector(); NDManager s = m.newSubManager()) {
          NDArray cw = s.create(gw[t], new Shape(7, 3));
          NDArray cb = s.create(gb[t]);
          gc.backward(w.mul(cw).sum().add(b.mul(cb).sum()));
        }
        opt.step(lr, scales[t]);
      }
      Map<String, NDArray> state = opt.stateTensors();
      float[] moments = new float[42];
      System.arraycopy(state.get("exp_avg.w").toFloatArray(), 0, moments, 0, 21);
      System.arraycopy(state.get("exp_avg_sq.w").toFloatArray(), 0, moments, 21, 21);
      float[][] out = {w.toFloatArray(), b.toFloatArray(), moments};
      opt.close();
      return out;
    }
  }

  private static void reference(double[] p, double[] g, double[] m, double[] v, int t, double lr, double wd, double s) {
    double bc1 = 1 - Math.pow(0.9, t);
    double bc2 = 1 - Math.pow(0.95, t);
    for (int i = 0; i < p.length; i++) {
      double gi = g[i] * s;
      m[i] = 0.9 * m[i] + 0.1 * gi;
      v[i] = 0.95 * v[i] + 0.05 * gi * gi;
      p[i] *= 1 - lr * wd;
      p[i] -= lr / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + 1e-8);
    }
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
