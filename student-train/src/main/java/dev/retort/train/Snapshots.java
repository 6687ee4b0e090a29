package dev.retort.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Hugging Face snapshots of the weights at fractions of a run's progress, so that a run can be
 * evaluated along training (accuracy against FLOPs). Progress is the share of the planned steps
 * done; with a FLOP budget (a GRPO run that ends when it has spent the budget) it is the share of
 * the budget spent, whichever is larger. Reads what every step carries, so it serves both trainers.
 *
 * <p>Snapshot {@code f} goes to {@code <dir>/}{@link #name(double)} with {@value #FILE}
 * (fraction, step, FLOPs) written last, so a folder without it is unfinished. A resumed run skips
 * snapshots already written; the final weights are the run's own output folder, so fractions are
 * below 1.
 */
public final class Snapshots implements TrainingListener<StepInfo> {
  /** The folder under a run's output that the trainers' snapshots go to. */
  public static final String DIR = "snapshots";
  /** The record of a finished snapshot, inside its folder. */
  public static final String FILE = "snapshot.json";

  private final Path dir;
  private final double[] fractions;
  private final double budgetFlops;
  private long totalSteps;

  /** One snapshot taken along a run, as read back from its folder. */
  public record Point(double fraction, long step, double flops, Path dir) {}

  /**
   * @param dir the folder the snapshots go under
   * @param fractions progress fractions in (0, 1)
   * @param budgetFlops the run's FLOP budget, or 0 when progress is measured in steps alone
   */
  public Snapshots(Path dir, List<Double> fractions, double budgetFlops) {
    this.dir = dir;
    this.fractions = fractions.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    for (double f : this.fractions) {
      if (!(f > 0 && f < 1)) {
        throw new IllegalArgumentException("snapshot fractions must be in (0, 1) (the final model is the run's output), got " + f);
      }
    }
    if (budgetFlops < 0 || !Double.isFinite(budgetFlops)) {
      throw new IllegalArgumentException("FLOP budget must be >= 0 and finite, got " + budgetFlops);
    }
    this.budgetFlops = budgetFlops;
  }

  /** The folder name of the snapshot at {@code fraction}. */
  public static String name(double fraction) {
    return String.format(Locale.ROOT, "at-%.4f", fraction);
  }

  @Override
  public void onTrainBegin(TrainInfo info) {
    totalSteps = info.totalSteps();
  }

  @Override
  public void onStep(StepInfo m, TrainControl control) {
    long step = m.step();
    double flops = m.flops();
    double p = totalSteps > 0 ? (double) step / totalSteps : 0;
    if (budgetFlops > 0) {
      p = Math.max(p, flops / budgetFlops);
    }
    for (double f : fractions) {
      if (f > p) {
        break;
      }
      Path target = dir.resolve(name(f));
      if (Files.isRegularFile(target.resolve(FILE))) {
        continue; // written before a resume
      }
      control.snapshot(target);
      Map<String, Object> rec = new LinkedHashMap<>();
      rec.put("fraction", f);
      rec.put("step", step);
      rec.put("flops", flops);
      Json.write(target.resolve(FILE), rec);
    }
  }

  /** The finished snapshots under {@code dir}, by fraction; empty when there are none. */
  public static List<Point> read(Path dir) {
    List<Point> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.filter(p -> Files.isRegularFile(p.resolve(FILE))).sorted().toList()) {
        JsonNode n = Json.MAPPER.readTree(p.resolve(FILE).toFile());
        out.add(new Point(n.path("fraction").asDouble(), n.path("step").asLong(), n.path("flops").asDouble(), p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the snapshots in " + dir + ": " + e.getMessage(), e);
    }
    return out;
  }
}
