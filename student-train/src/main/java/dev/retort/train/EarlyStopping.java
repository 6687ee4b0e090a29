package dev.retort.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stops when the mean loss of a window of {@code window} steps has not improved on the best
 * window by more than {@code minDelta} for {@code patience} windows. Its history is saved with
 * every checkpoint, so a resumed run stops where the uninterrupted one would.
 */
public final class EarlyStopping implements TrainingListener<StepInfo> {
  private final int patience;
  private final double minDelta;
  private final int window;
  private double best = Double.POSITIVE_INFINITY;
  private int bad;
  private double sum;
  private int count;

  public EarlyStopping(int patience, double minDelta, int window) {
    if (patience < 1 || window < 1 || minDelta < 0) {
      throw new IllegalArgumentException("early stop needs patience >= 1, window >= 1, min-delta >= 0");
    }
    this.patience = patience;
    this.minDelta = minDelta;
    this.window = window;
  }

  @Override
  public void onStep(StepInfo m, TrainControl control) {
    sum += m.loss();
    count++;
    if (count < window) {
      return;
    }
    double mean = sum / count;
    sum = 0;
    count = 0;
    if (mean < best - minDelta) {
      best = mean;
      bad = 0;
    } else if (++bad >= patience) {
      control.requestStop(String.format(java.util.Locale.ROOT,
          "early stop: window loss %.4f has not improved on %.4f by %.4f for %d window(s) of %d steps",
          mean, best, minDelta, patience, window));
    }
  }

  @Override
  public String stateKey() {
    return "early-stop";
  }

  @Override
  public Map<String, Object> saveState() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("best", Double.isInfinite(best) ? null : best);
    s.put("bad", bad);
    s.put("sum", sum);
    s.put("count", count);
    return s;
  }

  @Override
  public void restoreState(Map<String, Object> s) {
    Object b = s.get("best");
    best = b == null ? Double.POSITIVE_INFINITY : ((Number) b).doubleValue();
    bad = ((Number) s.getOrDefault("bad", 0)).intValue();
    sum = ((Number) s.getOrDefault("sum", 0.0)).doubleValue();
    count = ((Number) s.getOrDefault("count", 0)).intValue();
  }
}
