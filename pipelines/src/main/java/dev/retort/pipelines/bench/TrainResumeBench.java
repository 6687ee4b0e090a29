package dev.retort.pipelines.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "train-resume", mixinStandardHelpOptions = true, description = "Benchmark: train-resume")
public final class TrainResumeBench implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort train-resume: this stage is not built yet");
    return 1;
  }
}
