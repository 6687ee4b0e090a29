package dev.retort.pipelines.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "verify", mixinStandardHelpOptions = true, description = "Benchmark: verify")
public final class VerifyBench implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort verify: this stage is not built yet");
    return 1;
  }
}
