package dev.retort.bench.mock;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child process running {@link MockServers} (K scripted OpenAI-compatible servers): started,
 * asked for its URLs, and stopped by closing its standard input.
 */
public final class MockPool implements AutoCloseable {
  private static final String PREFIX = "listening on ";
  private final Process process;
  private final List<String> urls;

  private MockPool(Process process, List<String> urls) {
    this.process = process;
    this.urls = List.copyOf(urls);
  }

  /** @param args MockServers arguments, e.g. --servers 4 --latency-ms 1000 */
  public static MockPool start(int servers, List<String> args) throws IOException {
    List<String> a = new ArrayList<>(List.of("--servers", Integer.toString(servers)));
    a.addAll(args);
    Process p = new ProcessBuilder(ChildJvm.command("1g", MockServers.class.getName(), a))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    List<String> urls = new ArrayList<>();
    while (urls.size() < servers) {
      String line = r.readLine();
      if (line == null) {
        p.destroyForcibly();
        throw new IOException("mock servers exited before listening (exit " + waitFor(p) + ")");
      }
      if (line.startsWith(PREFIX)) {
        urls.add(line.substring(PREFIX.length()).trim());
      }
    }
    return new MockPool(p, urls);
  }

  public List<String> urls() {
    return urls;
  }

  /** CPU time the server process has used so far (nanoseconds; -1 when the OS does not say). */
  public long cpuNanos() {
    return process.toHandle().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(-1L);
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }

  private static int waitFor(Process p) {
    try {
      return p.waitFor();
    } catch (InterruptedException e) {
      return -1;
    }
  }
}
