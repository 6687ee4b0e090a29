package dev.retort.bench;

import dev.retort.pipelines.CliExtension;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code retort bench NAME}: each benchmark ends with one line {@code RESULT NAME key=value ...}.
 * The CLI finds this command at run time ({@link CliExtension}, META-INF/services), since this
 * module depends on pipelines.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Performance benchmarks; each prints a final line RESULT NAME key=value ...",
    subcommands = {
      GenerateBench.class,
      TeacherPoolBench.class,
      TeacherFaultsBench.class,
      ClusterFaultsBench.class,
      VerifyBench.class,
      CodeVerifyBench.class,
      FilterBench.class,
      TrainBench.class,
      TrainResumeBench.class,
      ServeAbuseBench.class,
      TrainMemoryBench.class
    })
public final class BenchCommand implements Runnable, CliExtension {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Object command() {
    return this;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing benchmark name");
  }
}
