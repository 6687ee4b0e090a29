package dev.retort.pipelines.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "filter", mixinStandardHelpOptions = true, description = "Benchmark: filter")
public final class FilterBench implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort filter: this stage is not built yet");
    return 1;
  }
}
