package dev.retort.pipelines;

/**
 * A top-level {@code retort} subcommand from a module that depends on pipelines, so that pipelines
 * cannot name it at compile time: {@link RetortCli} finds each with {@link java.util.ServiceLoader}
 * (a {@code META-INF/services/dev.retort.pipelines.CliExtension} file in that module's jar) and
 * adds it when the module is on the classpath. The bench module adds {@code bench} this way.
 */
public interface CliExtension {
  /** A picocli command: an object whose class is annotated with {@code @Command}. */
  Object command();
}
