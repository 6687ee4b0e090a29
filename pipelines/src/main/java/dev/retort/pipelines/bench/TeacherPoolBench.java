package dev.retort.pipelines.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "teacher-pool", mixinStandardHelpOptions = true, description = "Benchmark: teacher-pool")
public final class TeacherPoolBench implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort teacher-pool: this stage is not built yet");
    return 1;
  }
}
