package dev.retort.bench.mock;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM that runs like this one: same java, same classpath, the same
 * --add-opens and -D flags (Spark's and DJL's), so benchmarks can put mock servers or a job to be
 * killed into their own processes.
 */
public final class ChildJvm {
  private ChildJvm() {}

  public static List<String> command(String heap, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || (a.startsWith("-D") && !a.startsWith("-Dbasedir"))) {
        cmd.add(a);
      }
    }
    if (heap != null) {
      cmd.add("-Xmx" + heap);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }
}
