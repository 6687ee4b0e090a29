package dev.retort.pipelines.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the whole pipeline from a config file.")
public final class RunCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort run: this stage is not built yet");
    return 1;
  }
}
