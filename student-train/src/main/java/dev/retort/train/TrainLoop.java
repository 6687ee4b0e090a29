package dev.retort.train;

import dev.retort.core.run.StageOutput;
import dev.retort.model.Transformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop of every in-process trainer: SFT ({@link SftTrainer}) and GRPO plug their
 * step ({@link Steps}) into it; everything else is here once. Begin (listeners' onTrainBegin),
 * steps until the plan is done or a listener requests a stop, each followed by the listeners,
 * the final checkpoint, then (after the trainer saved its model) the listeners' onTrainEnd.
 * The loop is the listeners' {@link TrainControl}: checkpoints hold the weights, the optimizer's
 * moments, the loop's counters, the trainer's {@link Counters} and the stateful listeners' state,
 * so a killed run resumes exactly where it stood.
 *
 * <p>Around the loop, the steps both trainers take on their output folder: {@link #cached} (a
 * complete folder of the same run is the result), {@link #prepare} (the resume point, or a fresh
 * start that clears another run's checkpoints and snapshots) and {@link #publish} (the final
 * model replaces the folder's weights atomically, file by file).
 *
 * @param <M> the trainer's step metrics
 */
public final class TrainLoop<M extends StepInfo> implements TrainControl {
  private static final Logger LOG = LoggerFactory.getLogger(TrainLoop.class);
  /** The staging folder a final model is written to before it replaces the output's weights. */
  static final String HF_STAGING = ".hf";

  /** A trainer's part of the loop. */
  public interface Steps<M extends StepInfo> {
    /**
     * Runs the step after {@code done} steps and returns its metrics (step {@code done + 1}).
     * Throws to abort the run; the last checkpoint ({@link TrainLoop#lastCheckpoint()}) stays valid.
     */
    M run(long done);

    /** The epoch (0-based) that the step just run ended, or -1 (the default: no epochs). */
    default int epochEnded() {
      return -1;
    }

    /** This trainer's counters, for a checkpoint. */
    Counters counters();

    /** Takes back its counters from the checkpoint a run resumes from (weights and moments are loaded). */
    void restore(TrainState state);
  }

  /**
   * A trainer's own part of a checkpoint ({@link TrainState}).
   *
   * @param tokens tokens trained on so far
   * @param recentLosses losses of the last few steps (empty when the trainer keeps none)
   * @param extra any other JSON-friendly counters
   */
  public record Counters(long tokens, List<Double> recentLosses, Map<String, Object> extra) {}

  /**
   * Where a run starts.
   *
   * @param checkpoints the output's checkpoint folder
   * @param resumeFrom the checkpoint of this same run to resume from, if any
   */
  public record Start(Checkpoints checkpoints, Optional<Path> resumeFrom) {}

  private final Path outDir;
  private final Transformer model;
  private final AdamW opt;
  private final Checkpoints checkpoints;
  private final String runHash;
  private final long total;
  private final List<TrainingListener<? super M>> listeners;
  private final Checkpoints.FolderBody snapshots;
  private Steps<M> steps;
  private long step;
  private double elapsedBefore;
  private long sessionStartNanos;
  private boolean finished;
  private String stopReason;
  private Path lastCheckpoint;

  /**
   * @param model the weights checkpoints hold (with several devices, the master replica)
   * @param total the planned steps
   * @param snapshots writes the current weights as a Hugging Face folder ({@link #snapshot})
   */
  public TrainLoop(Path outDir, Transformer model, AdamW opt, Start start, String runHash, long total,
      List<? extends TrainingListener<? super M>> listeners, Checkpoints.FolderBody snapshots) {
    this.outDir = outDir;
    this.model = model;
    this.opt = opt;
    this.checkpoints = start.checkpoints();
    this.runHash = runHash;
    this.total = total;
    this.listeners = List.copyOf(listeners);
    this.snapshots = snapshots;
  }

  /**
   * The result recorded in {@code outDir} when it is complete for this run ({@code _SUCCESS} of
   * {@code runHash}), read by {@code read}; null when the run must train.
   */
  public static <R> R cached(Path outDir, String runHash, Function<Path, R> read) {
    if (StageOutput.isComplete(outDir, runHash)) {
      R cached = read.apply(outDir);
      if (cached != null) {
        LOG.info("{}: complete for this config and data (_SUCCESS {}), skipped", outDir, runHash.substring(0, 12));
        return cached;
      }
    }
    return null;
  }

  /**
   * Makes {@code outDir} ready for a run: marks it incomplete, clears half-written checkpoints and
   * finds the latest checkpoint of the same run. Checkpoints of another run (config or data
   * changed) are deleted, and so are snapshots when the run starts over.
   */
  public static Start prepare(Path outDir, int keepCheckpoints, String runHash) {
    try {
      Files.createDirectories(outDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + outDir + ": " + e.getMessage(), e);
    }
    StageOutput.invalidate(outDir);
    Checkpoints checkpoints = new Checkpoints(outDir.resolve(Checkpoints.DIR), keepCheckpoints);
    checkpoints.cleanTemporaries();
    Optional<Path> resumeFrom = checkpoints.latest();
    if (resumeFrom.isPresent() && !runHash.equals(Checkpoints.readState(resumeFrom.get()).runHash())) {
      LOG.warn("{} holds checkpoints of another config or data; starting over", checkpoints.dir());
      checkpoints.deleteAll();
      resumeFrom = Optional.empty();
    }
    if (resumeFrom.isEmpty()) {
      StageOutput.deleteTree(outDir.resolve(Snapshots.DIR)); // snapshots of an earlier config or run
    }
    return new Start(checkpoints, resumeFrom);
  }

  /**
   * Writes the final model with {@code save} into a staging folder, then moves its files over
   * {@code outDir}'s (old weight shards deleted first, so a different sharding leaves no stale file).
   */
  public static void publish(Path outDir, Checkpoints.FolderBody save) throws IOException {
    Path staging = outDir.resolve(HF_STAGING);
    save.write(staging);
    try (Stream<Path> old = Files.list(outDir)) {
      for (Path p : old.filter(p -> p.getFileName().toString()
          .matches("model(-\\d+-of-\\d+)?\\.safetensors(\\.index\\.json)?")).toList()) {
        Files.delete(p);
      }
    }
    try (Stream<Path> files = Files.list(staging)) {
      for (Path f : files.toList()) {
        Files.move(f, outDir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      }
    }
    StageOutput.deleteTree(staging);
  }

  /**
   * The listeners every run has, in the order they are called: {@link MetricsJsonl}, then
   * {@link CheckpointEvery} (when {@code checkpointEvery > 0}), the method's stop rule (early
   * stopping, a FLOP budget; none when null), {@link Snapshots} (when {@code snapshots} is not
   * empty), the progress bar, and last the caller's.
   *
   * @param budgetFlops the FLOP budget snapshots measure progress against (0: steps alone)
   */
  public static <M extends StepInfo> List<TrainingListener<? super M>> listeners(Path outDir, int checkpointEvery,
      TrainingListener<StepInfo> stopRule, List<Double> snapshots, double budgetFlops, ProgressBar progress,
      List<? extends TrainingListener<? super M>> extra) {
    List<TrainingListener<? super M>> l = new ArrayList<>();
    l.add(new MetricsJsonl(outDir.resolve(MetricsJsonl.FILE)));
    if (checkpointEvery > 0) {
      l.add(new CheckpointEvery(checkpointEvery));
    }
    if (stopRule != null) {
      l.add(stopRule);
    }
    if (!snapshots.isEmpty()) {
      l.add(new Snapshots(outDir.resolve(Snapshots.DIR), snapshots, budgetFlops));
    }
    l.add(progress);
    l.addAll(extra);
    return l;
  }

  /**
   * Checks the keys every trainer's settings share for its loop and returns {@code snapshots} as an
   * immutable list (empty for null); a bad value fails naming its key ({@link Sections#check}).
   *
   * @param snapshotsOf what a snapshot fraction is a fraction of, for the message
   */
  public static List<Double> checkLoopSettings(int checkpointEvery, int keepCheckpoints, List<Double> snapshots,
      String snapshotsOf, int logEvery) {
    Sections.check(checkpointEvery >= 0, "checkpoint-every", "must be >= 0, got " + checkpointEvery);
    Sections.check(keepCheckpoints >= 1, "keep-checkpoints", "must be at least 1, got " + keepCheckpoints);
    List<Double> fractions = snapshots == null ? List.of() : List.copyOf(snapshots);
    Sections.check(fractions.stream().allMatch(f -> f > 0 && f < 1), "snapshots",
        "must be fractions in (0, 1) of " + snapshotsOf + " (the final model is the output folder), got " + fractions);
    Sections.check(logEvery >= 1, "log-every", "must be at least 1, got " + logEvery);
    return fractions;
  }

  /** Plugs in the trainer's step; called once, before {@link #restore} and {@link #train}. */
  public void steps(Steps<M> trainerSteps) {
    this.steps = trainerSteps;
  }

  /** Loads the weights, moments and counters of {@code checkpoint} and hands the listeners their state. */
  public void restore(Path checkpoint) {
    TrainState st = Checkpoints.restore(checkpoint, model, opt);
    step = st.step();
    elapsedBefore = st.elapsedSeconds();
    finished = st.finished();
    stopReason = st.stopReason();
    for (TrainingListener<? super M> l : listeners) {
      if (l.stateKey() != null && st.listeners().containsKey(l.stateKey())) {
        l.restoreState(st.listeners().get(l.stateKey()));
      }
    }
    steps.restore(st);
    LOG.info("resumed from {} (step {}{})", checkpoint.getFileName(), step, finished ? ", training had finished" : "");
  }

  /**
   * Runs the steps left, then writes the final checkpoint (a rerun after a crash while saving
   * then only saves again). Listeners holding files ({@link AutoCloseable} ones) are closed when
   * the loop ends, normally or not.
   */
  public void train() {
    try {
      TrainInfo info = new TrainInfo(outDir.getFileName().toString(), outDir, step, total, model.numParameters());
      for (TrainingListener<? super M> l : listeners) {
        l.onTrainBegin(info);
      }
      sessionStartNanos = System.nanoTime();
      while (!finished && step < total) {
        M m = steps.run(step);
        step++;
        for (TrainingListener<? super M> l : listeners) {
          l.onStep(m, this);
        }
        int epoch = steps.epochEnded();
        if (epoch >= 0) {
          for (TrainingListener<? super M> l : listeners) {
            l.onEpochEnd(epoch, this);
          }
        }
        if (stopReason != null) {
          LOG.info("stopping at step {}: {}", step, stopReason);
          break;
        }
      }
      finished = true;
      checkpoint();
    } finally {
      for (TrainingListener<? super M> l : listeners) {
        if (l instanceof AutoCloseable c) {
          try {
            c.close();
          } catch (Exception e) {
            LOG.warn("cannot close {}: {}", l.getClass().getSimpleName(), e.toString());
          }
        }
      }
    }
  }

  /** Tells the listeners the run ended, once its model is saved. */
  public void end(RunResult result) {
    for (TrainingListener<? super M> l : listeners) {
      l.onTrainEnd(result);
    }
  }

  /** Steps done (resumes included). */
  public long step() {
    return step;
  }

  /** The planned steps. */
  public long total() {
    return total;
  }

  /** Why training stopped early, or null. */
  public String stopReason() {
    return stopReason;
  }

  /** The last checkpoint written, for error messages (null before the first). */
  public Path lastCheckpoint() {
    return lastCheckpoint;
  }

  /** Training time of this process so far. */
  public double sessionSeconds() {
    return (System.nanoTime() - sessionStartNanos) / 1e9;
  }

  /** Training time so far, resumes included. */
  public double elapsed() {
    return elapsedBefore + sessionSeconds();
  }

  @Override
  public void requestStop(String reason) {
    if (stopReason == null) {
      stopReason = reason;
    }
  }

  @Override
  public boolean stopRequested() {
    return stopReason != null;
  }

  @Override
  public Path checkpoint() {
    Map<String, Map<String, Object>> ls = new LinkedHashMap<>();
    for (TrainingListener<? super M> l : listeners) {
      if (l.stateKey() != null) {
        ls.put(l.stateKey(), l.saveState());
      }
    }
    Counters c = steps.counters();
    boolean done = finished || stopReason != null;
    TrainState st = new TrainState(step, opt.steps(), c.tokens(), elapsed(), runHash, new ArrayList<>(c.recentLosses()),
        done, stopReason, ls, c.extra());
    lastCheckpoint = checkpoints.save(st, model, opt);
    return lastCheckpoint;
  }

  @Override
  public void snapshot(Path dir) {
    try {
      snapshots.write(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the snapshot " + dir + ": " + e.getMessage(), e);
    }
  }
}
