package dev.retort.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.pipelines.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code bench} commands through the CLI as scripts call them: found at run time with this
 * module on the classpath, listed by {@code --help}, each ending with {@code RESULT NAME key=value ...}.
 */
class BenchCliTest {
  @TempDir Path dir;

  @Test
  void theCliListsBenchAndItsBenchmarks() {
    CliRun top = CliRun.of("--help");
    assertEquals(0, top.code(), top.err());
    assertTrue(top.out().lines().anyMatch(l -> l.strip().startsWith("bench ")), top.out());
    CliRun bench = CliRun.of("bench", "--help");
    assertEquals(0, bench.code(), bench.err());
    for (String name : List.of("generate", "teacher-pool", "teacher-faults", "cluster-faults", "verify", "code-verify",
        "filter", "train", "train-resume", "serve-abuse", "train-memory")) {
      assertTrue(bench.out().lines().anyMatch(l -> l.strip().startsWith(name + " ")), name + " in " + bench.out());
    }
    CliRun missing = CliRun.of("bench");
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("Missing benchmark name"), missing.err());
  }

  @Test
  void aBenchCommandEndsWithItsResultLine() throws Exception {
    Path data = dir.resolve("math.jsonl");
    Files.writeString(data, """
        {"problem": "1+1?", "solution": "So \\\\boxed{2}.", "answer": "2"}
        {"problem": "half?", "solution": "It is \\\\boxed{\\\\frac{1}{2}}.", "answer": "0.5"}
        """);
    CliRun r = CliRun.of("bench", "verify", "--data", data.toString(), "--seconds", "0.3", "--warmup-seconds", "0");
    assertEquals(0, r.code(), r.err());
    String last = r.out().strip().lines().reduce((x, y) -> y).orElseThrow();
    assertTrue(last.startsWith("RESULT verify "), last);
    Map<String, String> kv = new HashMap<>();
    for (String t : last.substring("RESULT verify ".length()).split(" ")) {
      String[] p = t.split("=", 2);
      kv.put(p[0], p[1]);
    }
    assertTrue(Long.parseLong(kv.get("verifications")) > 0, last);
    assertEquals(1.0, Double.parseDouble(kv.get("agreement")), 1e-9, "both reference solutions verify: " + last);
    assertTrue(Double.parseDouble(kv.get("verifications_per_core_s")) > 0, last);
  }
}
