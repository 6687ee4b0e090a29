package dev.retort.pipelines.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Model utilities: init, score, generate.")
public final class ModelCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort model: this stage is not built yet");
    return 1;
  }
}
