package dev.retort.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench train}: SFT tokens/s of a ~20M-parameter student and its MFU against the best
 * matmul FLOP/s of the same engine, measured in the same run. Last line:
 * {@code RESULT train tokens_per_s=... mfu=... ...}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Benchmark: SFT tokens/s and MFU (model FLOP/s / best matmul FLOP/s, same run).")
public final class TrainBench implements Callable<Integer> {
  @Option(names = "--steps", defaultValue = "10", description = "Measured steps (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--warmup", defaultValue = "3", description = "Unmeasured first steps (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--samples", defaultValue = "400", description = "Arith SFT samples (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Student/training setting under train (repeatable), e.g. model.num-layers=4, threads=2, batch-size=8.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--work", paramLabel = "DIR", description = "Scratch folder (default: a temporary folder, deleted).")
  Path work;

  @Option(names = "--keep", description = "Keep the data and the trained model.")
  boolean keep;

  @Override
  public Integer call() {
    TrainBenchmark.Result r = TrainBenchmark.run(
        new TrainBenchmark.Options(overrides, steps, warmup, samples, work, keep), System.out::println);
    System.out.println(r.resultLine());
    return 0;
  }
}
