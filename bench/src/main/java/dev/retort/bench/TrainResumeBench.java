package dev.retort.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench train-resume}: N steps uninterrupted vs. a child JVM killed (SIGKILL) after
 * about N/2 steps and resumed; compares all parameters. Last line:
 * {@code RESULT train-resume max_param_diff=... steps=N killed_after_step=K resumed_from_step=J}.
 */
@Command(name = "train-resume", mixinStandardHelpOptions = true,
    description = "Benchmark: a killed-and-resumed SFT run reaches the weights of an uninterrupted one.")
public final class TrainResumeBench implements Callable<Integer> {
  @Option(names = "--steps", defaultValue = "40", description = "Steps N (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--checkpoint-every", defaultValue = "6", description = "Checkpoint interval (default ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(names = "--samples", defaultValue = "300", description = "Arith SFT samples (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Setting under train (repeatable), e.g. model.num-layers=4.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--work", paramLabel = "DIR", description = "Scratch folder (default: a temporary folder, deleted).")
  Path work;

  @Option(names = "--keep", description = "Keep the runs' folders.")
  boolean keep;

  @Override
  public Integer call() {
    ResumeBenchmark.Result r = ResumeBenchmark.run(
        new ResumeBenchmark.Options(steps, checkpointEvery, samples, overrides, work, keep), System.out::println);
    System.out.printf("took %.1f s%n", r.seconds());
    System.out.println(r.resultLine());
    return 0;
  }
}
