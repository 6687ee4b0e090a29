package dev.retort.pipelines.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Serve a local checkpoint over an OpenAI-compatible HTTP API.")
public final class ServeCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort serve: this stage is not built yet");
    return 1;
  }
}
