package dev.retort.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * AdamW (Loshchilov and Hutter) exactly as {@code torch.optim.AdamW} computes it, in fp32 on the
 * parameters' device, in place: no parameter or moment ever crosses into Java during training.
 * Weight decay is decoupled ({@code p -= lr * wd * p}) and, by default, applies to matrices only:
 * norms and biases (1-d tensors) get none. DJL's own AdamW decays every parameter and its PyTorch
 * kernel adds the decay to the gradient (L2), hence this class.
 *
 * <p>Per step, for each parameter with gradient g and clip factor s:
 * {@code m = b1 m + (1-b1) s g; v = b2 v + (1-b2) (s g)^2; p *= 1 - lr wd;
 * p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}; then the gradient is zeroed.
 */
public final class AdamW implements AutoCloseable {
  private final Map<String, NDArray> params;
  private final Map<String, NDArray> exp;
  private final Map<String, NDArray> expSq;
  private final Map<String, Boolean> decay = new LinkedHashMap<>();
  private final NDManager manager;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private long steps;

  /**
   * @param params live parameter arrays by name (they must require gradients); updated in place
   * @param decays which parameters get weight decay; {@link #matricesOnly} is the usual rule
   */
  public AdamW(Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay,
      BiPredicate<String, NDArray> decays) {
    if (params.isEmpty()) {
      throw new IllegalArgumentException("no parameters to optimize");
    }
    this.params = new LinkedHashMap<>(params);
    this.manager = params.values().iterator().next().getManager().newSubManager();
    this.exp = new LinkedHashMap<>();
    this.expSq = new LinkedHashMap<>();
    params.forEach((name, p) -> {
      exp.put(name, manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      expSq.put(name, manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      decay.put(name, decays.test(name, p));
    });
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  /** Decay for tensors of rank 2 or more (weights, embeddings), none for norms and biases. */
  public static boolean matricesOnly(String name, NDArray p) {
    return p.getShape().dimension() >= 2;
  }

  /** Live gradient arrays of the parameters (new handles, owned by {@code into}). */
  public Map<String, NDArray> gradients(NDManager into) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    params.forEach((name, p) -> {
      NDArray g = p.getGradient();
      g.attach(into);
      out.put(name, g);
    });
    return out;
  }

  /**
   * One update with the current gradients, scaled by {@code gradScale} (the clip factor), then
   * zeroes the gradients.
   */
  public void step(double lr, double gradScale) {
    steps++;
    double bc1 = 1 - Math.pow(beta1, steps);
    double bc2 = 1 - Math.pow(beta2, steps);
    float stepSize = (float) (lr / bc1);
    float sqrtBc2 = (float) Math.sqrt(bc2);
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false); // in-place updates of leaves that require grad
    try {
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        NDArray p = e.getValue();
        NDArray m = exp.get(name);
        NDArray v = expSq.get(name);
        try (NDManager tmp = manager.newSubManager()) {
          NDArray g = p.getGradient();
          g.attach(tmp);
          tmp.tempAttachAll(m, v, p);
          m.muli((float) beta1).addi(g.mul((float) ((1 - beta1) * gradScale)));
          v.muli((float) beta2).addi(g.square().muli((float) ((1 - beta2) * gradScale * gradScale)));
          if (weightDecay > 0 && decay.get(name)) {
            p.muli((float) (1 - lr * weightDecay));
          }
          NDArray denom = v.sqrt().divi(sqrtBc2).addi((float) eps);
          p.subi(m.div(denom).muli(stepSize));
        }
        JniUtils.zeroGrad((PtNDArray) p);
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /** Zeroes the gradients without an update (a skipped step). */
  public void zeroGradients() {
    for (NDArray p : params.values()) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
  }

  /** Updates done so far (the t of the bias corrections). */
  public long steps() {
    return steps;
  }

  /** Moment tensors for a checkpoint: {@code exp_avg.NAME} and {@code exp_avg_sq.NAME}. */
  public Map<String, NDArray> stateTensors() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    exp.forEach((n, a) -> out.put("exp_avg." + n, a));
    expSq.forEach((n, a) -> out.put("exp_avg_sq." + n, a));
    return out;
  }

  /** Restores moments (as written by {@link #stateTensors}) and the step count. */
  public void loadState(Map<String, float[]> tensors, long steps) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager tmp = manager.newSubManager()) {
      for (Map.Entry<String, NDArray> e : stateTensors().entrySet()) {
        float[] v = tensors.get(e.getKey());
        if (v == null || v.length != e.getValue().size()) {
          throw new IllegalArgumentException("optimizer state lacks " + e.getKey() + " or has the wrong size");
        }
        NDArray src = tmp.create(v, e.getValue().getShape()).toDevice(e.getValue().getDevice(), false);
        e.getValue().set(new ai.djl.ndarray.index.NDIndex("..."), src);
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
    this.steps = steps;
  }

  @Override
  public void close() {
    manager.close();
  }
}
