package dev.retort.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 * p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}; then the gradient is zeroed. Element-wise
 * and in place, one block of rows at a time for large tensors (see {@link #BLOCK_ELEMENTS}).
 */
public final class AdamW implements AutoCloseable {
  /**
   * Values per block of the update: a parameter larger than this (the embedding and LM head of
   * a large vocabulary) is updated a block of rows at a time, so the update's temporaries stay
   * at two blocks (64 MB each) instead of several copies of the whole tensor.
   */
  static final long BLOCK_ELEMENTS = 1L << 24;

  private final Map<String, NDArray> params;
  private final Map<String, NDArray> exp;
  private final Map<String, NDArray> expSq;
  private final Map<String, Boolean> decay = new LinkedHashMap<>();
  private final NDManager manager;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final long blockElements;
  private long steps;

  /**
   * @param params live parameter arrays by name (they must require gradients); updated in place
   * @param decays which parameters get weight decay; {@link #matricesOnly} is the usual rule
   */
  public AdamW(Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay,
      BiPredicate<String, NDArray> decays) {
    this(params, beta1, beta2, eps, weightDecay, decays, BLOCK_ELEMENTS);
  }

  /** @param blockElements the update's block size in values (tests use small ones to get several blocks) */
  AdamW(Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay,
      BiPredicate<String, NDArray> decays, long blockElements) {
    if (blockElements < 1) {
      throw new IllegalArgumentException("blockElements must be positive, got " + blockElements);
    }
    this.blockElements = blockElements;
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
    Update u = new Update((float) beta1, (float) ((1 - beta1) * gradScale), (float) beta2,
        (float) ((1 - beta2) * gradScale * gradScale), (float) (1 - lr * weightDecay), (float) Math.sqrt(bc2),
        (float) eps, (float) (lr / bc1));
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false); // in-place updates of leaves that require grad
    try {
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        NDArray p = e.getValue();
        boolean decays = weightDecay > 0 && decay.get(name);
        NDArray g = p.getGradient();
        try (NDManager tmp = manager.newSubManager()) {
          g.attach(tmp);
          long rows = p.getShape().dimension() == 0 ? 1 : p.getShape().get(0);
          long rowsPerBlock = Math.max(1, blockElements / Math.max(1, p.size() / rows));
          if (rowsPerBlock >= rows) {
            tmp.tempAttachAll(exp.get(name), expSq.get(name), p);
            u.apply(p, g, exp.get(name), expSq.get(name), decays);
          } else {
            for (long r = 0; r < rows; r += rowsPerBlock) {
              // Views of the same rows of parameter, gradient and moments: in-place ops on them
              // write the full tensors; the handles die with the block's scope.
              try (NDManager block = tmp.newSubManager()) {
                NDIndex rowsIndex = new NDIndex().addSliceDim(r, Math.min(rows, r + rowsPerBlock));
                NDArray[] views = {p.get(rowsIndex), g.get(rowsIndex), exp.get(name).get(rowsIndex),
                    expSq.get(name).get(rowsIndex)};
                for (NDArray view : views) {
                  view.attach(block);
                }
                u.apply(views[0], views[1], views[2], views[3], decays);
              }
            }
          }
        }
        JniUtils.zeroGrad((PtNDArray) p);
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /**
   * The constants of one step and the update of one tensor (or one block of rows), in place, each
   * temporary freed as soon as it is used: at most two block-sized temporaries exist at once.
   * The operations and their order are those of the formula in the class comment.
   */
  private record Update(float beta1, float gradCoef, float beta2, float sqCoef, float decayFactor, float sqrtBc2,
      float eps, float stepSize) {
    void apply(NDArray p, NDArray g, NDArray m, NDArray v, boolean decays) {
      try (NDArray t = g.mul(gradCoef)) {
        m.muli(beta1).addi(t);
      }
      try (NDArray t = g.square()) {
        v.muli(beta2).addi(t.muli(sqCoef));
      }
      if (decays) {
        p.muli(decayFactor);
      }
      NDArray update;
      try (NDArray denom = v.sqrt()) {
        denom.divi(sqrtBc2).addi(eps);
        update = m.div(denom);
      }
      try (NDArray t = update) {
        p.subi(t.muli(stepSize));
      }
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
        e.getValue().set(new NDIndex("..."), src);
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
