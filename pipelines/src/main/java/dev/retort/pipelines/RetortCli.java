package dev.retort.pipelines;

import dev.retort.pipelines.cli.EvalCommand;
import dev.retort.pipelines.cli.FilterCommand;
import dev.retort.pipelines.cli.GenerateCommand;
import dev.retort.pipelines.cli.ModelCommand;
import dev.retort.pipelines.cli.RunCommand;
import dev.retort.pipelines.cli.ServeCommand;
import dev.retort.pipelines.cli.TrainCommand;
import dev.retort.pipelines.cli.VerifyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of {@code bin/retort}. Thin by design: picocli parses, each subcommand builds its
 * config and calls the stage's {@code run}. Exit codes are a contract with orchestrators:
 * 0 success, 1 failure, 2 usage or config error.
 */
@Command(
    name = "retort",
    mixinStandardHelpOptions = true,
    versionProvider = RetortCli.Version.class,
    description = "Distill reasoning from a teacher model into small dense students.",
    subcommands = {
      RunCommand.class,
      GenerateCommand.class,
      FilterCommand.class,
      TrainCommand.class,
      EvalCommand.class,
      ServeCommand.class,
      VerifyCommand.class,
      ModelCommand.class
    })
public final class RetortCli implements Runnable {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
      description = "Print the resolved config, Spark's task failures, and stack traces on errors.")
  boolean verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Whether --verbose was given (before or after the subcommand). */
  public boolean verbose() {
    return verbose;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand");
  }

  /** Set from --verbose before logging starts: Spark's per-task failure logs (stack traces) show only then. */
  public static final String SPARK_TASK_LOG = "retort.log.spark-tasks";

  public static void main(String[] args) {
    if (java.util.Arrays.asList(args).contains("--verbose")) {
      System.setProperty(SPARK_TASK_LOG, "warn");
    }
    dev.retort.pipelines.cli.SparkScratch.prepare();
    int code = execute(args);
    System.out.flush();
    System.err.flush();
    // Spark and DJL leave non-daemon threads behind; exit explicitly so the code is the one we chose.
    System.exit(code);
  }

  /** Runs the CLI and returns the exit code; used by tests and by main. */
  public static int execute(String... args) {
    RetortCli root = new RetortCli();
    CommandLine cl = new CommandLine(root);
    // Subcommands of modules built on this one (bench), when on the classpath; help stays last in --help.
    for (CliExtension e : java.util.ServiceLoader.load(CliExtension.class)) {
      cl.addSubcommand(e.command());
    }
    cl.addSubcommand("help", new CommandLine.HelpCommand());
    cl.setExecutionExceptionHandler(new Errors(root));
    cl.setParameterExceptionHandler((ex, a) -> {
      System.err.println("retort: " + ex.getMessage());
      ex.getCommandLine().usage(System.err);
      return USAGE;
    });
    return cl.execute(args);
  }

  /** One clear line on stderr; stack trace only with --verbose; config errors exit 2. */
  static final class Errors implements CommandLine.IExecutionExceptionHandler {
    private final RetortCli root;

    Errors(RetortCli root) {
      this.root = root;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult pr) {
      if (root.verbose) {
        ex.printStackTrace(System.err);
      }
      String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
      System.err.println("retort " + cl.getCommandName() + ": " + msg.lines().findFirst().orElse(msg));
      return isUsage(ex) ? USAGE : FAILED;
    }

    private static boolean isUsage(Throwable ex) {
      for (Throwable t = ex; t != null; t = t.getCause()) {
        if (t instanceof dev.retort.core.config.ConfigError || t instanceof IllegalArgumentException) {
          return true;
        }
      }
      return false;
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = RetortCli.class.getPackage().getImplementationVersion();
      return new String[] {"retort " + (v == null ? "dev" : v)};
    }
  }
}
