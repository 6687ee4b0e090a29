package dev.retort.pipelines.run;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * K local {@code retort serve} processes, each a separate JVM as in production, on free loopback
 * ports. Closing the pool stops them; a JVM shutdown hook stops them too, so a failed or
 * interrupted pipeline never leaves servers behind.
 */
public final class ServerPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServerPool.class);
  private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

  private final List<Process> processes = new ArrayList<>();
  private final List<String> endpoints = new ArrayList<>();
  private final Thread hook = new Thread(this::stopAll, "retort-server-pool-stop");

  private ServerPool() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Starts {@code count} servers with {@code serve <args> --port 0} and waits until each prints its
   * address (and so is ready to serve).
   */
  public static ServerPool start(int count, List<String> serveArgs, Path logDir, Duration timeout) throws IOException {
    ServerPool pool = new ServerPool();
    try {
      Files.createDirectories(logDir);
      List<CompletableFuture<String>> ready = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        // Split the cores between the servers: PyTorch threads that outnumber cores spin and
        // slow everyone down (measured: 1 thread each was ~3x faster than 2 on a loaded 2-core box).
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / count);
        List<String> cmd = new ArrayList<>(javaCommand("-Dai.djl.pytorch.num_threads=" + threads,
            "-Dai.djl.pytorch.num_interop_threads=1"));
        cmd.add("serve");
        cmd.addAll(serveArgs);
        cmd.add("--port");
        cmd.add("0");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Process p = pb.start();
        pool.processes.add(p);
        Path log = logDir.resolve("server-" + i + ".log");
        ready.add(CompletableFuture.supplyAsync(() -> awaitAddress(p, log)));
      }
      for (CompletableFuture<String> f : ready) {
        String url = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (url == null) {
          throw new IOException("a teacher server exited before listening; see " + logDir);
        }
        pool.endpoints.add(url);
      }
      LOG.info("teacher servers up: {}", pool.endpoints);
      return pool;
    } catch (Exception e) {
      pool.close();
      throw e instanceof IOException io ? io : new IOException("teacher servers did not start: " + e, e);
    }
  }

  private static String awaitAddress(Process p, Path log) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
         var w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      String line;
      String url = null;
      while ((line = r.readLine()) != null) {
        w.write(line);
        w.newLine();
        w.flush();
        Matcher m = LISTENING.matcher(line);
        if (url == null && m.find()) {
          url = m.group(1);
          String found = url;
          // Keep draining the server's output into its log in the background.
          Thread t = new Thread(() -> drain(r, w), "retort-server-log");
          t.setDaemon(true);
          t.start();
          return found;
        }
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  private static void drain(BufferedReader r, java.io.Writer w) {
    try {
      String line;
      while ((line = r.readLine()) != null) {
        w.write(line);
        w.write('\n');
        w.flush();
      }
    } catch (IOException ignored) {
      // the server stopped
    }
  }

  /** The java command line of this JVM (same classpath and flags), for child processes. */
  public static List<String> javaCommand(String... extraJvmArgs) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Dai.djl.pytorch.num_")) {
        cmd.add(arg);
      }
    }
    cmd.addAll(List.of(extraJvmArgs));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.retort.pipelines.RetortCli");
    return cmd;
  }

  public List<String> endpoints() {
    return List.copyOf(endpoints);
  }

  private void stopAll() {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException ignored) {
      // already shutting down
    }
  }
}
