package dev.retort.pipelines.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate models on benchmarks and write a report.")
public final class EvalCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort eval: this stage is not built yet");
    return 1;
  }
}
