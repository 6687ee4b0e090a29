package dev.retort.pipelines.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "filter", mixinStandardHelpOptions = true, description = "Verify, filter, dedup and decontaminate traces (Spark job).")
public final class FilterCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort filter: this stage is not built yet");
    return 1;
  }
}
