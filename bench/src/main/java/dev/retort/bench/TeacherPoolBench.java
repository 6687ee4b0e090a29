package dev.retort.bench;

import dev.retort.core.data.SamplingParams;
import dev.retort.core.datasets.Arith;
import dev.retort.core.data.Prompt;
import dev.retort.teacher.TeacherRequest;
import dev.retort.teacher.TeacherResponse;
import dev.retort.bench.mock.MockPool;
import dev.retort.teacher.http.HttpTeacherPool;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench teacher-pool}: can the HTTP client keep a teacher pool saturated?
 *
 * <p>K mock servers ({@code MockServers}: the real OpenAI-compatible server with the scripted
 * backend, answering every request after a fixed latency, with no concurrency limit) run in a
 * child JVM, so this process's CPU time is the client's alone. The client keeps C requests in
 * flight; a perfect client then completes C / latency requests per second (the pool's capacity).
 * Utilization is the measured request rate over that capacity, in the same run. Client CPU per
 * request is this JVM's process CPU time (OperatingSystemMXBean) over the measured phase divided by
 * the requests, JSON encoding and decoding, futures, GC and JIT included. A warm-up phase runs first.
 */
@Command(name = "teacher-pool", mixinStandardHelpOptions = true,
    description = "Benchmark: HTTP client throughput against K fixed-latency mock servers; ends with RESULT teacher-pool ...")
public final class TeacherPoolBench implements Callable<Integer> {
  @Option(names = "--servers", defaultValue = "4", description = "Mock servers K (default: ${DEFAULT-VALUE}).")
  int servers;

  @Option(names = "--latency-ms", defaultValue = "1000", description = "Fixed server latency (default: ${DEFAULT-VALUE}).")
  long latencyMs;

  @Option(names = "--concurrency", defaultValue = "2000", description = "Requests in flight C (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--requests", defaultValue = "0", description = "Measured requests (default: 8 x concurrency).")
  int requests;

  @Option(names = "--warmup-requests", defaultValue = "0",
      description = "Warm-up requests (default: max(16 x concurrency, 30000): C2 needs tens of thousands of requests"
          + " before the client's CPU per request settles).")
  int warmup;

  @Option(names = "--io-threads", defaultValue = "1", description = "Client event-loop threads (default: ${DEFAULT-VALUE}).")
  int ioThreads;

  @Override
  public Integer call() throws Exception {
    if (servers < 1 || latencyMs < 1 || concurrency < 1 || requests < 0 || warmup < 0 || ioThreads < 1) {
      throw new IllegalArgumentException("--servers, --latency-ms, --concurrency and --io-threads must be >= 1");
    }
    int measured = requests > 0 ? requests : 8 * concurrency;
    int warm = warmup > 0 ? warmup : Math.max(16 * concurrency, 30_000);
    List<Prompt> prompts = Arith.generate(Arith.Spec.defaults(), 1, 500, Arith.Split.TRAIN);
    try (MockPool pool = MockPool.start(servers, List.of("--latency-ms", Long.toString(latencyMs)));
        HttpTeacherPool client = HttpTeacherPool.builder().setEndpoints(pool.urls()).setModel("retort")
            .optMaxInFlight((concurrency + servers - 1) / servers, concurrency)
            .optRequestTimeout(Duration.ofMillis(latencyMs * 10 + 30_000))
            .optMaxRetries(3)
            .optIoThreads(ioThreads)
            .build()) {
      System.out.printf("teacher-pool: %d servers at %d ms, %d in flight, %d warm-up + %d measured requests%n",
          servers, latencyMs, concurrency, warm, measured);
      Phase w = phase(client, prompts, warm);
      long serverCpu0 = pool.cpuNanos();
      System.out.printf("warm-up: %.0f requests/s, %d errors%n", w.rate(), w.errors);
      Phase m = phase(client, prompts, measured);
      long serverCpu = pool.cpuNanos() - serverCpu0;
      double capacity = concurrency * 1000.0 / latencyMs;
      double utilization = m.rate() / capacity;
      double cpuUs = m.cpuNanos / 1000.0 / measured;
      HttpTeacherPool.PoolStats st = client.stats();
      System.out.printf("measured: %d requests in %.2f s = %.0f requests/s; capacity %.0f/s; mean latency %.0f ms;"
          + " client CPU %.2f s (%.0f us/request, %.2f cores); errors %d, retries %d%n",
          measured, m.seconds(), m.rate(), capacity, m.meanLatencyMs(), m.cpuNanos / 1e9, cpuUs,
          m.cpuNanos / 1e9 / m.seconds(), m.errors, st.retries());
      System.out.printf("client CPU split: event loop %.2f s (%.0f us/request), submitting thread %.2f s, GC pauses %.2f s,"
          + " rest (JIT, GC workers) %.2f s%n", m.ioCpuNanos / 1e9, m.ioCpuNanos / 1000.0 / measured, m.callerCpuNanos / 1e9,
          m.gcMs / 1e3, (m.cpuNanos - m.ioCpuNanos - m.callerCpuNanos) / 1e9);
      System.out.printf("mock servers: CPU %.2f s (%.0f us/request); transport %s%n", serverCpu / 1e9,
          serverCpu / 1000.0 / measured, dev.retort.teacher.http.Transports.name());
      System.out.printf("RESULT teacher-pool utilization=%.3f requests_per_s=%.0f client_cpu_us_per_request=%.1f"
          + " capacity_per_s=%.0f concurrency=%d servers=%d latency_ms=%d requests=%d errors=%d%n",
          utilization, m.rate(), cpuUs, capacity, concurrency, servers, latencyMs, measured, m.errors);
      return m.errors == 0 ? 0 : 1;
    }
  }

  private record Phase(long nanos, long cpuNanos, long ioCpuNanos, long callerCpuNanos, long gcMs, long errors,
      long latencySumMs, long n) {
    double seconds() {
      return nanos / 1e9;
    }

    double rate() {
      return n / seconds();
    }

    double meanLatencyMs() {
      return n == 0 ? 0 : (double) latencySumMs / n;
    }
  }

  /** Submits n requests at once (the pool keeps C in flight) and waits for all of them. */
  private static Phase phase(HttpTeacherPool client, List<Prompt> prompts, int n) throws Exception {
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    LongAdder errors = new LongAdder();
    LongAdder latency = new LongAdder();
    long cpu0 = os.getProcessCpuTime();
    long io0 = ioThreadsCpu();
    long gc0 = gcMillis();
    java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long caller0 = mx.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    List<CompletableFuture<TeacherResponse>> fs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Prompt p = prompts.get(i % prompts.size());
      CompletableFuture<TeacherResponse> f = client.complete(TeacherRequest.of(p.id() + "#" + i, p.problem(),
          new SamplingParams(0.6, 0.95, 0, 256, (long) i)));
      f.whenComplete((r, e) -> {
        if (e != null) {
          errors.increment();
        } else {
          latency.add(r.latencyMs());
        }
      });
      fs.add(f);
    }
    CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).handle((v, e) -> null).get(1, TimeUnit.HOURS);
    long t1 = System.nanoTime();
    long cpu1 = os.getProcessCpuTime();
    return new Phase(t1 - t0, cpu1 - cpu0, ioThreadsCpu() - io0, mx.getCurrentThreadCpuTime() - caller0,
        gcMillis() - gc0, errors.sum(), latency.sum(), n);
  }

  private static long gcMillis() {
    long ms = 0;
    for (java.lang.management.GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
      ms += Math.max(0, g.getCollectionTime());
    }
    return ms;
  }

  /** CPU time of the client's event-loop threads (ThreadMXBean), to split the process total. */
  private static long ioThreadsCpu() {
    java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (java.lang.management.ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (ti != null && ti.getThreadName().startsWith("retort-teacher-io")) {
        long c = mx.getThreadCpuTime(ti.getThreadId());
        sum += Math.max(0, c);
      }
    }
    return sum;
  }
}
