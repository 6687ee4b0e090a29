package dev.retort.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Public problems (data/code: HumanEval assertion tests, CodeChef stdin/stdout examples): every
 * reference solution is accepted, and every systematically broken variant is rejected with the
 * verdict plain python3 gives it (data/code/make_data.py). Infinite-loop variants cost a CPU
 * limit each, so a fixed sample of them runs here; {@code bin/retort bench code-verify} runs all.
 */
class PublicProblemsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Path DATA = Path.of("..", "data", "code");
  private static final CodeLimits LIMITS = CodeLimits.of(1, CodeLimits.DEFAULT_MEMORY_BYTES);
  private static final int TIMEOUT_SAMPLE_EVERY = 9;

  static List<JsonNode> rows(String file) {
    try {
      List<JsonNode> out = new ArrayList<>();
      for (String line : Files.readAllLines(DATA.resolve(file))) {
        if (!line.isBlank()) {
          out.add(JSON.readTree(line));
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Verdicts of the rows, two sandboxes at a time (the machine's cores). */
  private static List<CodeVerdict> verify(List<JsonNode> rows) throws Exception {
    CodeVerifier v = Sandboxes.verifier(LIMITS);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<CodeVerdict>> futures = new ArrayList<>();
      for (JsonNode r : rows) {
        futures.add(pool.submit(() -> v.run(CodeTest.parse(r.get("tests")), r.get("response").asText())));
      }
      List<CodeVerdict> out = new ArrayList<>();
      for (Future<CodeVerdict> f : futures) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void everyReferenceSolutionIsAccepted() throws Exception {
    List<JsonNode> refs = new ArrayList<>(rows("function.jsonl"));
    int functionLevel = refs.size();
    refs.addAll(rows("stdio.jsonl"));
    assertTrue(functionLevel >= 40 && refs.size() - functionLevel >= 20, "data/code holds too few problems");
    List<CodeVerdict> verdicts = verify(refs);
    for (int i = 0; i < refs.size(); i++) {
      assertEquals(CodeVerdict.ACCEPTED, verdicts.get(i).reason(),
          refs.get(i).get("id").asText() + ": " + verdicts.get(i).detail());
    }
  }

  @Test
  void everyBrokenVariantIsRejectedWithItsReason() throws Exception {
    List<JsonNode> broken = new ArrayList<>();
    int timeouts = 0;
    for (JsonNode b : rows("broken.jsonl")) {
      if (!b.get("expected").asText().equals(CodeVerdict.TIMEOUT) || timeouts++ % TIMEOUT_SAMPLE_EVERY == 0) {
        broken.add(b);
      }
    }
    List<CodeVerdict> verdicts = verify(broken);
    for (int i = 0; i < broken.size(); i++) {
      JsonNode b = broken.get(i);
      assertEquals(b.get("expected").asText(), verdicts.get(i).reason(),
          b.get("id").asText() + " " + b.get("transformation").asText() + ": " + verdicts.get(i).detail());
    }
  }
}
