package dev.retort.pipelines.run;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * K local {@code retort serve} processes, each a separate JVM as in production, on free loopback
 * ports. Closing the pool stops them; a JVM shutdown hook stops them too, so a failed or
 * interrupted pipeline never leaves servers behind.
 *
 * <p>Each child writes stdout and stderr straight into {@code <logDir>/server-N.log} (no pipe to
 * this JVM), and start-up polls those files for the {@code listening on URL} line. Reading pipes
 * instead had two failure modes: a reader thread that handed its stream to a draining thread and
 * then closed it blocked on the stream's lock while the drainer waited for the (quiet) server's
 * next line, so start-up hung until the timeout (PipelineRunTest flaked that way, about 1 start in
 * 10 with a quiet child); and a child whose pipe nobody drains blocks once the pipe buffer is
 * full. A file has neither, keeps the whole log even if this JVM dies, and is what a start failure
 * quotes.
 */
public final class ServerPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServerPool.class);
  private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
  /** Log lines quoted in a start failure. */
  static final int TAIL_LINES = 20;
  private static final long POLL_MS = 50;

  private final List<Process> processes = new ArrayList<>();
  private final List<String> endpoints = new ArrayList<>();
  private final Thread hook = new Thread(this::stopAll, "retort-server-pool-stop");

  private ServerPool() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Starts {@code count} servers with {@code serve <args> --port 0} and waits until each prints its
   * address (and so is ready to serve).
   *
   * @throws IOException when a server exits before listening or is not listening within
   *     {@code timeout}; the message names the server, its exit status and log, and ends with the
   *     log's last lines
   */
  public static ServerPool start(int count, List<String> serveArgs, Path logDir, Duration timeout) throws IOException {
    List<List<String>> commands = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      // Split the cores between the servers: PyTorch threads that outnumber cores spin and
      // slow everyone down.
      int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / count);
      List<String> cmd = new ArrayList<>(javaCommand("-Dai.djl.pytorch.num_threads=" + threads,
          "-Dai.djl.pytorch.num_interop_threads=1"));
      cmd.add("serve");
      cmd.addAll(List.of("--parent-pid", Long.toString(ProcessHandle.current().pid())));
      cmd.addAll(serveArgs);
      cmd.add("--port");
      cmd.add("0");
      commands.add(cmd);
    }
    return startCommands(commands, logDir, timeout);
  }

  /**
   * Starts one child per command line (each must print {@code listening on http://...} when
   * ready) and waits for all of them with one deadline. Package-private for tests, which start
   * cheap stand-ins.
   */
  static ServerPool startCommands(List<List<String>> commands, Path logDir, Duration timeout) throws IOException {
    ServerPool pool = new ServerPool();
    try {
      Files.createDirectories(logDir);
      List<Child> children = new ArrayList<>();
      for (int i = 0; i < commands.size(); i++) {
        Path log = logDir.resolve("server-" + i + ".log");
        // Redirect.to truncates: a stale "listening on" line from an earlier run must not match.
        Process p = new ProcessBuilder(commands.get(i))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
            .start();
        // Not Redirect.INHERIT: under surefire this JVM's stdin carries the test runner's commands.
        // Closing our end gives a child that reads stdin an end of file instead of a wait forever.
        p.getOutputStream().close();
        pool.processes.add(p);
        children.add(new Child(i, p, new LogScanner(log)));
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      String[] urls = new String[children.size()];
      int pending = children.size();
      while (pending > 0) {
        for (Child c : children) {
          if (urls[c.index()] != null) {
            continue;
          }
          Optional<String> url = c.scanner().find();
          if (url.isPresent()) {
            urls[c.index()] = url.get();
            pending--;
          } else if (!c.process().isAlive()) {
            // Scan once more: the line may have been written just before the exit.
            url = c.scanner().find();
            if (url.isEmpty()) {
              throw c.failure("exited with status " + c.process().exitValue() + " before listening");
            }
            urls[c.index()] = url.get();
            pending--;
          }
        }
        if (pending > 0) {
          if (System.nanoTime() - deadline > 0) {
            Child late = children.stream().filter(c -> urls[c.index()] == null).findFirst().orElseThrow();
            throw late.failure("printed no 'listening on' line within " + timeout.toSeconds() + " s (still running)");
          }
          Thread.sleep(POLL_MS);
        }
      }
      pool.endpoints.addAll(Arrays.asList(urls));
      LOG.info("teacher servers up: {}", pool.endpoints);
      return pool;
    } catch (Exception e) {
      pool.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw e instanceof IOException io ? io : new IOException("teacher servers did not start: " + e, e);
    }
  }

  /** A started child: its index in the pool, its process and its log. */
  private record Child(int index, Process process, LogScanner scanner) {
    /**
     * The start failure: first line says what happened and where the log is (the CLI prints only
     * that line); the log's tail follows, and is logged too so that a CLI user sees it.
     */
    IOException failure(String what) {
      String tail = String.join("\n", tail(scanner.log(), TAIL_LINES));
      String head = "teacher server " + index + " " + what + "; log: " + scanner.log().toAbsolutePath();
      LOG.error("{}; last lines of its log:\n{}", head, tail);
      return new IOException(head + "\n--- last " + TAIL_LINES + " lines of " + scanner.log().getFileName() + " ---\n" + tail);
    }
  }

  /**
   * Reads a growing log file incrementally (only complete lines) and finds the server's address.
   * Splitting at '\n' before decoding is safe in UTF-8: the byte never occurs inside a character.
   */
  static final class LogScanner {
    private final Path log;
    private long position;
    private byte[] partial = new byte[0];

    LogScanner(Path log) {
      this.log = log;
    }

    Path log() {
      return log;
    }

    /** The URL of the first {@code listening on} line written since the last call, if any. */
    Optional<String> find() throws IOException {
      byte[] fresh;
      try (SeekableByteChannel ch = Files.newByteChannel(log, StandardOpenOption.READ)) {
        long size = ch.size();
        if (size <= position) {
          return Optional.empty();
        }
        ch.position(position);
        try (InputStream in = java.nio.channels.Channels.newInputStream(ch)) {
          fresh = in.readNBytes((int) Math.min(size - position, 1 << 20));
        }
      }
      position += fresh.length;
      byte[] buf = new byte[partial.length + fresh.length];
      System.arraycopy(partial, 0, buf, 0, partial.length);
      System.arraycopy(fresh, 0, buf, partial.length, fresh.length);
      int start = 0;
      for (int i = 0; i < buf.length; i++) {
        if (buf[i] == '\n') {
          Matcher m = LISTENING.matcher(new String(buf, start, i - start, StandardCharsets.UTF_8));
          start = i + 1;
          if (m.find()) {
            partial = new byte[0];
            return Optional.of(m.group(1));
          }
        }
      }
      partial = Arrays.copyOfRange(buf, start, buf.length);
      return Optional.empty();
    }
  }

  /** The last {@code n} lines of a log (reads at most its last 64 KiB), or a note why there are none. */
  static List<String> tail(Path log, int n) {
    try (SeekableByteChannel ch = Files.newByteChannel(log, StandardOpenOption.READ)) {
      long size = ch.size();
      long from = Math.max(0, size - (64 << 10));
      ch.position(from);
      byte[] bytes;
      try (InputStream in = java.nio.channels.Channels.newInputStream(ch)) {
        bytes = in.readAllBytes();
      }
      List<String> lines = new ArrayList<>(new String(bytes, StandardCharsets.UTF_8).lines().toList());
      if (from > 0 && !lines.isEmpty()) {
        lines.remove(0); // cut mid-line
      }
      if (lines.isEmpty()) {
        return List.of("(log is empty)");
      }
      return lines.subList(Math.max(0, lines.size() - n), lines.size());
    } catch (IOException e) {
      return List.of("(cannot read log: " + e + ")");
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
