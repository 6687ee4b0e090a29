package dev.retort.bench;

import dev.retort.core.data.Completions;
import dev.retort.core.datasets.Arith;
import dev.retort.core.run.StageOutput;
import dev.retort.model.Checkpoint;
import dev.retort.train.Checkpoints;
import dev.retort.train.MetricsJsonl;
import dev.retort.train.SftData;
import dev.retort.train.SftTrainer;
import dev.retort.train.TrainSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code retort bench train-resume}: trains N steps uninterrupted (in this process); trains the
 * same settings in a child JVM that is killed with {@code destroyForcibly} (SIGKILL) once it has
 * logged about N/2 steps; reruns the same settings here, which resumes from the child's last
 * checkpoint; and compares every parameter of the two final checkpoints. Last line:
 * {@code RESULT train-resume max_param_diff=... steps=N killed_after_step=K resumed_from_step=J}.
 */
public final class ResumeBenchmark {
  private ResumeBenchmark() {}

  /**
   * @param steps N
   * @param checkpointEvery checkpoint interval (a kill between checkpoints makes the resume redo steps)
   * @param overrides more settings under {@code train}
   */
  public record Options(int steps, int checkpointEvery, int samples, List<String> overrides, Path work, boolean keep) {}

  public record Result(double maxParamDiff, int steps, long killedAfterStep, long resumedFromStep, double seconds) {
    public String resultLine() {
      return String.format(Locale.ROOT, "RESULT train-resume max_param_diff=%s steps=%d killed_after_step=%d resumed_from_step=%d",
          (float) maxParamDiff, steps, killedAfterStep, resumedFromStep);
    }
  }

  /** A small student, so that the benchmark stays short on a CPU. */
  public static List<String> defaultStudent() {
    return List.of("model.hidden-size=64", "model.num-layers=2", "model.num-heads=4", "model.num-kv-heads=2",
        "model.intermediate-size=192", "model.max-position-embeddings=512", "seq-len=512", "batch-size=4",
        "warmup-steps=4", "lr=2e-3", "log-every=5", "devices=cpu", "threads=2", "early-stop.patience=1000");
  }

  public static Result run(Options o, Consumer<String> log) {
    long start = System.nanoTime();
    Path dir;
    try {
      dir = o.work() != null ? Files.createDirectories(o.work()) : Files.createTempDirectory("retort-bench-resume");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> over = new ArrayList<>(defaultStudent());
    over.addAll(o.overrides());
    over.add("max-steps=" + o.steps());
    over.add("epochs=1000");
    over.add("checkpoint-every=" + o.checkpointEvery());
    TrainSettings s = TrainSettings.defaults(over.toArray(String[]::new));
    Path data = dir.resolve("sft");
    SftData.write(data, SftData.fromPrompts(Arith.generate(Arith.Spec.defaults(), 2, o.samples(), Arith.Split.TRAIN),
        "{problem}\n" + Completions.MATH_SUFFIX));
    Path a = dir.resolve("uninterrupted");
    Path b = dir.resolve("killed-and-resumed");
    StageOutput.deleteTree(a);
    StageOutput.deleteTree(b);

    log.accept("1/3 uninterrupted run of " + o.steps() + " steps");
    SftTrainer.run(s, data, a);

    long killAt = Math.max(1, o.steps() / 2);
    log.accept("2/3 child JVM, killed with destroyForcibly after step " + killAt);
    long killedAfter = runAndKill(data, b, over, killAt, dir.resolve("child.log"));
    long resumedFrom = new Checkpoints(b.resolve(Checkpoints.DIR), 1).latest().map(p -> Checkpoints.readState(p).step()).orElse(0L);
    log.accept("   child killed after step " + killedAfter + "; last checkpoint at step " + resumedFrom);

    log.accept("3/3 rerun: resumes from step " + resumedFrom);
    SftTrainer.run(s, data, b);
    double diff = Checkpoints.maxAbsDiff(Checkpoints.readTensors(a.resolve(Checkpoint.WEIGHTS)),
        Checkpoints.readTensors(b.resolve(Checkpoint.WEIGHTS)));
    if (!o.keep() && o.work() == null) {
      StageOutput.deleteTree(dir);
    }
    return new Result(diff, o.steps(), killedAfter, resumedFrom, (System.nanoTime() - start) / 1e9);
  }

  /** Starts {@link SftMain} in a child JVM and SIGKILLs it once metrics.jsonl reaches {@code killAt}. */
  private static long runAndKill(Path data, Path out, List<String> overrides, long killAt, Path logFile) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-agentlib") && !arg.startsWith("-XX:StartFlightRecording")) {
        cmd.add(arg);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(SftMain.class.getName());
    cmd.add(data.toString());
    cmd.add(out.toString());
    cmd.addAll(overrides);
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
      Path metrics = out.resolve(MetricsJsonl.FILE);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
      while (System.nanoTime() < deadline) {
        if (lastStep(metrics) >= killAt) {
          p.destroyForcibly();
          p.waitFor();
          return lastStep(metrics);
        }
        if (!p.isAlive()) {
          throw new IllegalStateException("the child exited (code " + p.exitValue() + ") before step " + killAt
              + "; see " + logFile + ":\n" + tail(logFile));
        }
        Thread.sleep(20);
      }
      p.destroyForcibly();
      throw new IllegalStateException("the child did not reach step " + killAt + " in 20 minutes");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static long lastStep(Path metrics) {
    if (!Files.isRegularFile(metrics)) {
      return 0;
    }
    try {
      List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        int k = lines.get(i).indexOf("\"step\":");
        if (k >= 0) {
          int end = lines.get(i).indexOf(',', k);
          try {
            return Long.parseLong(lines.get(i).substring(k + 7, end).trim());
          } catch (RuntimeException e) {
            // a partial line
          }
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return 0;
  }

  private static String tail(Path f) {
    try {
      List<String> l = Files.readAllLines(f, StandardCharsets.UTF_8);
      return String.join("\n", l.subList(Math.max(0, l.size() - 20), l.size()));
    } catch (IOException e) {
      return "";
    }
  }
}
