package dev.retort.verify.code;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code bin/retort verify --type code}: rows {@code {"response": ..., "tests": [...]}} come back
 * with all their fields plus {@code correct}, {@code reason} and, when a test failed,
 * {@code failed_test} (its index) and {@code detail} (and {@code "sandbox": "unsafe-local"} when
 * run without isolation). A row may set its own
 * {@code cpu_limit_s} and {@code memory_limit_mb}; the defaults are the verifier's limits.
 *
 * <p>Rows are verified in parallel, as many at once as the JVM has sandbox slots, and written
 * in input order. A line that is not a JSON object, or a row without a string {@code response}
 * or with unreadable {@code tests}, is written with {@code correct=false} and reason
 * "malformed_row: ..." and does not stop the run.
 */
public final class CodeJsonl {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Counts of one run. */
  public record Stats(long rows, long correct, long malformed) {}

  private CodeJsonl() {}

  /** Verifies {@code input}'s rows on {@code parallelism} threads; {@code output} is written whole or not at all. */
  public static Stats run(Path input, Path output, CodeVerifier verifier, int parallelism) throws IOException {
    return dev.retort.verify.JsonlJob.run(input, output, (in, out) -> run(in, out, verifier, parallelism));
  }

  private static Stats run(BufferedReader in, BufferedWriter out, CodeVerifier verifier, int parallelism)
      throws IOException {
    ExecutorService pool = Executors.newFixedThreadPool(parallelism, r -> {
      Thread t = new Thread(r, "verify-code");
      t.setDaemon(true);
      return t;
    });
    long rows = 0;
    long correct = 0;
    long malformed = 0;
    try {
      Deque<Future<ObjectNode>> pending = new ArrayDeque<>();
      String line;
      long lineNo = 0;
      while (true) {
        line = in.readLine();
        if (line != null) {
          lineNo++;
          if (line.isBlank()) {
            continue;
          }
          long n = lineNo;
          String l = line;
          pending.add(pool.submit(() -> verifyLine(l, n, verifier)));
        }
        // Keep a bounded window in flight; write finished rows in input order.
        while (!pending.isEmpty() && (line == null || pending.size() > 4 * parallelism || pending.peek().isDone())) {
          ObjectNode row = get(pending.poll());
          rows++;
          if (row.path("reason").asText().startsWith(MALFORMED)) {
            malformed++;
          } else if (row.path("correct").asBoolean()) {
            correct++;
          }
          out.write(JSON.writeValueAsString(row));
          out.write('\n');
        }
        if (line == null) {
          break;
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return new Stats(rows, correct, malformed);
  }

  static final String MALFORMED = "malformed_row: ";

  private static ObjectNode get(Future<ObjectNode> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re; // a setup error such as a missing sandbox: the run stops with its message
      }
      throw new IOException(e.getCause());
    }
  }

  static ObjectNode verifyLine(String line, long lineNo, CodeVerifier verifier) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      ObjectNode bad = JSON.createObjectNode();
      bad.put("line", lineNo);
      bad.put("raw", line);
      return malformed(bad, "invalid JSON at line " + lineNo);
    }
    if (!(node instanceof ObjectNode row)) {
      ObjectNode bad = JSON.createObjectNode();
      bad.put("line", lineNo);
      bad.set("raw", node);
      return malformed(bad, "line " + lineNo + " is not a JSON object");
    }
    JsonNode response = row.get("response");
    if (response == null || !response.isTextual()) {
      return malformed(row, "field 'response' missing or not a string at line " + lineNo);
    }
    List<CodeTest> tests;
    try {
      tests = CodeTest.parse(row.get("tests"));
    } catch (IllegalArgumentException e) {
      return malformed(row, "field 'tests' at line " + lineNo + ": " + e.getMessage());
    }
    CodeLimits base = verifier.limits();
    double cpu = row.path("cpu_limit_s").asDouble(base.cpuSeconds());
    long mem = row.has("memory_limit_mb") ? row.get("memory_limit_mb").asLong() << 20 : base.memoryBytes();
    CodeVerdict v;
    try {
      CodeLimits limits = cpu == base.cpuSeconds() && mem == base.memoryBytes() ? base
          : new CodeLimits(cpu, 2 * cpu + 1, mem, base.outputBytes(), base.fileBytes(), base.tmpBytes(),
              base.processes());
      v = verifier.withLimits(limits).run(tests, response.asText());
    } catch (IllegalArgumentException e) {
      return malformed(row, "limits at line " + lineNo + ": " + e.getMessage());
    }
    row.put("correct", v.correct());
    row.put("reason", v.reason());
    if (verifier.sandbox().mode() == PythonSandbox.Mode.UNSAFE_LOCAL) {
      row.put("sandbox", PythonSandbox.Mode.UNSAFE_LOCAL.code()); // the verdict came from an unisolated run
    }
    if (v.failedTest() >= 0) {
      row.put("failed_test", v.failedTest());
    }
    if (!v.detail().isEmpty()) {
      row.put("detail", v.detail());
    }
    return row;
  }

  private static ObjectNode malformed(ObjectNode row, String why) {
    row.put("correct", false);
    row.put("reason", MALFORMED + why);
    return row;
  }
}
