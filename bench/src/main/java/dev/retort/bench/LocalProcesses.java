package dev.retort.bench;

import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The processes a benchmark starts on 127.0.0.1 (HDFS, Spark daemons, submitted stages), each with
 * its log in {@code DIR/logs/}, all stopped by {@link #stopAll} (children first); and the jars they
 * run from, resolved once with Maven ({@code MAVEN_ARGS} passed on) and cached under
 * {@code pipelines/target/cluster-check/}.
 */
final class LocalProcesses {
  /** The folder holding logs/ and Maven's resolution folders. */
  final Path dir;

  LocalProcesses(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir.resolve("logs"));
  }

  /**
   * A throwaway HDFS (Hadoop's MiniHadoopClusterManager: a namenode and a datanode in one JVM, from
   * hadoop-client-minicluster) with its data under {@code DIR/dfs}; returns {@code hdfs://127.0.0.1:PORT}
   * once it takes a file.
   *
   * @param classpath hadoop-client-minicluster and its runtime dependencies; null: resolved with Maven
   */
  String startHdfs(Path root, String classpath) throws IOException, InterruptedException {
    String cp = classpath != null ? classpath : resolved(root, "hdfs", "org.apache.hadoop", "hadoop-client-minicluster",
        org.apache.hadoop.util.VersionInfo.getVersion());
    int nn = freePort();
    start("hdfs", List.of("-Xmx1g", "-Dtest.build.data=" + dir.resolve("dfs")), cp,
        "org.apache.hadoop.mapreduce.MiniHadoopClusterManager",
        List.of("-nomr", "-format", "-nnport", Integer.toString(nn), "-nnhttpport", Integer.toString(freePort())), Map.of());
    String hdfs = "hdfs://127.0.0.1:" + nn;
    await("HDFS at " + hdfs, 180, () -> listening(nn) && hdfsWritable(hdfs));
    return hdfs;
  }

  /** What spark-submit's launcher passes on Java 17 (JavaModuleOptions), for the JVMs started here. */
  static final List<String> MODULE_FLAGS = List.of(
      "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
      "--add-opens=java.base/sun.security.action=ALL-UNNAMED", "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
      "--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "-Djdk.reflect.useDirectMethodHandle=false", "-Dio.netty.tryReflectionSetAccessible=true");

  /** Every process started here, in start order; stopped in reverse order, children first. */
  final List<Process> started = Collections.synchronizedList(new ArrayList<>());

  /** Starts {@code java FLAGS -cp cp main args} with its output in logs/NAME.log; returns the log. */
  Path start(String name, List<String> jvm, String cp, String main, List<String> args, Map<String, String> env)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin());
    cmd.addAll(MODULE_FLAGS);
    cmd.addAll(jvm);
    cmd.add("-cp");
    cmd.add(cp);
    cmd.add(main);
    cmd.addAll(args);
    Path log = dir.resolve("logs").resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    started.add(pb.start());
    return log;
  }

  static void kill(Process p) throws InterruptedException {
    List<ProcessHandle> children = p.descendants().toList();
    p.destroyForcibly();
    for (ProcessHandle c : children) {
      c.destroyForcibly();
    }
    p.waitFor(30, TimeUnit.SECONDS);
  }

  /** Stops every started process (workers' executors included), newest first. */
  void stopAll() {
    List<Process> ps;
    synchronized (started) {
      ps = new ArrayList<>(started);
      started.clear();
    }
    Collections.reverse(ps);
    for (Process p : ps) {
      try {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessHandle c : children) {
          c.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }

  static void await(String what, int seconds, BooleanSupplier ready) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (ready.getAsBoolean()) {
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("gave up waiting " + seconds + " s for " + what);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @SuppressWarnings("try") // a resource held for its scope only (a scope, a gradient recording)
  static boolean listening(int port) {
    try (Socket s = new Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** HDFS answers and its datanode takes a file. */
  static boolean hdfsWritable(String hdfs) {
    Location probe = Location.of(hdfs + "/tmp/probe");
    try {
      Store s = Store.of(probe);
      try (var out = s.create(probe)) {
        out.write(1);
      }
      s.delete(probe);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * The classpath of {@code group:artifact:version} and its runtime dependencies, resolved by Maven
   * once and cached in pipelines/target/cluster-check/NAME.classpath.
   */
  Path resolvedCache(Path root, String name) {
    return root.resolve("pipelines/target/cluster-check").resolve(name + ".classpath");
  }

  String resolved(Path root, String name, String group, String artifact, String version)
      throws IOException, InterruptedException {
    Path cache = resolvedCache(root, name);
    String key = group + ":" + artifact + ":" + version;
    if (Files.isRegularFile(cache)) {
      List<String> lines = Files.readAllLines(cache);
      if (lines.size() == 2 && lines.get(0).equals(key) && allExist(lines.get(1))) {
        return lines.get(1);
      }
    }
    Path pomDir = dir.resolve("resolve-" + name);
    Files.createDirectories(pomDir);
    Files.writeString(pomDir.resolve("pom.xml"), """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>retort.check</groupId><artifactId>%s</artifactId><version>1</version>
          <dependencies>
            <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>
          </dependencies>
        </project>
        """.formatted(name, group, artifact, version));
    Path out = pomDir.resolve("classpath.txt");
    List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-q"));
    String extra = System.getenv("MAVEN_ARGS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+")));
    }
    // The plugin version the build pins (so an offline repository that holds the build's plugins suffices).
    cmd.addAll(List.of("org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath", "-Dmdep.includeScope=runtime",
        "-Dmdep.outputFile=" + out));
    System.out.printf("resolving %s with Maven (once; cached in %s)%n", key, cache);
    Process p = new ProcessBuilder(cmd).directory(pomDir.toFile()).redirectErrorStream(true)
        .redirectOutput(pomDir.resolve("mvn.log").toFile()).start();
    started.add(p);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      kill(p);
      throw new IllegalStateException("could not resolve " + key + " with Maven; see " + pomDir.resolve("mvn.log")
          + " (or pass --spark-home / --hdfs-classpath)");
    }
    started.remove(p);
    String cp = Files.readString(out).trim();
    Files.createDirectories(cache.getParent());
    Files.writeString(cache, key + "\n" + cp + "\n");
    return cp;
  }

  static boolean allExist(String cp) {
    for (String e : cp.split(File.pathSeparator)) {
      if (!e.isBlank() && !Files.exists(Path.of(e))) {
        return false;
      }
    }
    return true;
  }
}
