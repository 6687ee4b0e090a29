package dev.retort.bench.mock;

import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ScriptedBackend;
import dev.retort.teacher.server.ServerOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * K {@link OpenAiServer}s with the {@link ScriptedBackend} in one JVM, each behind its own
 * {@link FaultInjection}: the mock teacher pool of the benchmarks, run as a child process so that
 * the benchmark's own process CPU time is the client's alone. Prints one {@code listening on URL}
 * line per server, then serves until its standard input closes (the parent exits or closes the pipe).
 *
 * <pre>java -cp ... dev.retort.bench.mock.MockServers --servers 4 --latency-ms 1000 [--error-rate R]
 *     [--drop-rate R] [--hang-rate R] [--max-batch N] [--io-threads N]</pre>
 */
public final class MockServers {
  private MockServers() {}

  public static void main(String[] args) throws IOException {
    int k = 4;
    ServerOptions.Builder b = ServerOptions.builder().maxBatch(256).batchWait(Duration.ofMillis(1)).ioThreads(1);
    double errorRate = 0;
    double dropRate = 0;
    double hangRate = 0;
    Duration latency = Duration.ZERO;
    for (int i = 0; i < args.length; i++) {
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--servers" -> k = Integer.parseInt(v);
        case "--latency-ms" -> latency = Duration.ofMillis(Long.parseLong(v));
        case "--error-rate" -> errorRate = Double.parseDouble(v);
        case "--drop-rate" -> dropRate = Double.parseDouble(v);
        case "--hang-rate" -> hangRate = Double.parseDouble(v);
        case "--max-batch" -> b.maxBatch(Integer.parseInt(v));
        case "--io-threads" -> b.ioThreads(Integer.parseInt(v));
        case "--served-model-name" -> b.servedModelName(v);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
      i++;
    }
    List<OpenAiServer> servers = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      FaultInjection.Faults faults = new FaultInjection.Faults(errorRate, dropRate, hangRate, Duration.ofSeconds(60), latency, 0);
      OpenAiServer s = new FaultInjection(faults).start(new ScriptedBackend(), b.build());
      servers.add(s);
      System.out.println("listening on " + s.url());
    }
    System.out.flush();
    while (System.in.read() >= 0) {
      // serve until the parent closes our stdin
    }
    servers.forEach(OpenAiServer::close);
    System.exit(0);
  }
}
