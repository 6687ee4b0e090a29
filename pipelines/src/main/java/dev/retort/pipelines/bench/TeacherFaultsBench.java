package dev.retort.pipelines.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the stage lands: says so and fails, never pretends. */
@Command(name = "teacher-faults", mixinStandardHelpOptions = true, description = "Benchmark: teacher-faults")
public final class TeacherFaultsBench implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("retort teacher-faults: this stage is not built yet");
    return 1;
  }
}
