package dev.retort.pipelines.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Benchmark: generate")
public final class GenerateBench implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort generate: this stage is not built yet");
    return 1;
  }
}
