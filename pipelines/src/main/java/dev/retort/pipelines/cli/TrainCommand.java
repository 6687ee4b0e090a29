package dev.retort.pipelines.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a student (SFT or GRPO) with DJL.")
public final class TrainCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort train: this stage is not built yet");
    return 1;
  }
}
