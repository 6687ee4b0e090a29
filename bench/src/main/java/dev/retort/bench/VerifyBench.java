package dev.retort.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.retort.verify.MathVerifier;
import dev.retort.verify.Verification;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench verify}: verifies every MATH-500 reference solution against its answer, in
 * a loop, and reports verifications per core-second.
 *
 * <p>"Per core" is measured, not assumed: the worker threads' CPU time (ThreadMXBean) is the
 * core-seconds actually used, so a run on a busy machine does not look faster or slower than it
 * is. A warm-up pass runs first so the JIT has compiled the verifier before timing starts.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Benchmark: MATH-500 reference solutions verified against their answers; ends with RESULT verify ...")
public final class VerifyBench implements Callable<Integer> {

  @Option(names = "--data", paramLabel = "PATH",
      description = "MATH-500 JSONL (problem, solution, answer, ...). Default: the MATH-500 shipped with Retort.")
  Path data;

  @Option(names = "--seconds", defaultValue = "5", description = "Measured duration (default: ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--warmup-seconds", defaultValue = "2", description = "Warm-up duration (default: ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(names = "--threads", defaultValue = "1", description = "Worker threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Override
  public Integer call() throws Exception {
    if (seconds <= 0 || warmupSeconds < 0 || threads < 1) {
      throw new IllegalArgumentException("--seconds must be > 0, --warmup-seconds >= 0, --threads >= 1");
    }
    Path file = resolveData();
    List<String[]> pairs = load(file);
    MathVerifier verifier = new MathVerifier();
    System.err.printf("bench verify: %d reference solutions from %s, %d thread(s)%n", pairs.size(), file, threads);

    runFor(verifier, pairs, 1, warmupSeconds);
    Result r = runFor(verifier, pairs, threads, seconds);

    double coresUsed = r.cpuSeconds / r.wallSeconds;
    double perCore = r.verifications / r.cpuSeconds;
    double agreement = (double) r.correct / r.verifications;
    System.out.printf("RESULT verify verifications_per_core_s=%.0f verifications=%d wall_s=%.3f cpu_s=%.3f "
            + "cores_used=%.2f threads=%d agreement=%.4f%n",
        perCore, r.verifications, r.wallSeconds, r.cpuSeconds, coresUsed, threads, agreement);
    return 0;
  }

  private record Result(long verifications, long correct, double wallSeconds, double cpuSeconds) {}

  private static Result runFor(MathVerifier verifier, List<String[]> pairs, int threads, double seconds)
      throws InterruptedException {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    AtomicLong count = new AtomicLong();
    AtomicLong correct = new AtomicLong();
    AtomicLong cpuNanos = new AtomicLong();
    long budget = (long) (seconds * 1e9);
    List<Thread> workers = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      int offset = t * pairs.size() / threads;
      Thread w = new Thread(() -> {
        long cpu0 = mx.getCurrentThreadCpuTime();
        long n = 0;
        long ok = 0;
        int i = offset;
        while (System.nanoTime() - start < budget) {
          String[] p = pairs.get(i);
          Verification v = verifier.verify(p[0], p[1]);
          if (v.correct()) {
            ok++;
          }
          n++;
          i = (i + 1) % pairs.size();
        }
        cpuNanos.addAndGet(mx.getCurrentThreadCpuTime() - cpu0);
        count.addAndGet(n);
        correct.addAndGet(ok);
      }, "bench-verify-" + t);
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    double wall = (System.nanoTime() - start) / 1e9;
    return new Result(count.get(), correct.get(), wall, cpuNanos.get() / 1e9);
  }

  private Path resolveData() {
    if (data != null) {
      if (!Files.isRegularFile(data)) {
        throw new IllegalArgumentException("--data: file not found: " + data);
      }
      return data;
    }
    // The MATH-500 shipped with Retort for decontamination.
    for (dev.retort.core.store.Location f : dev.retort.filter.decontam.BundledBenchmarks.files()) {
      if (f.name().equals("math500.jsonl")) {
        return f.localPath();
      }
    }
    throw new IllegalStateException("the bundled benchmarks hold no math500.jsonl; pass --data PATH");
  }

  private static List<String[]> load(Path file) throws java.io.IOException {
    ObjectMapper json = new ObjectMapper();
    List<String[]> pairs = new ArrayList<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      JsonNode row = json.readTree(line);
      if (!row.hasNonNull("answer") || !row.hasNonNull("solution")) {
        throw new IllegalArgumentException(file + " line " + lineNo + ": needs 'answer' and 'solution'");
      }
      pairs.add(new String[] {row.get("answer").asText(), row.get("solution").asText()});
    }
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException(file + " has no rows");
    }
    return pairs;
  }
}
