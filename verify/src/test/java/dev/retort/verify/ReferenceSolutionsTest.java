package dev.retort.verify;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reference solutions must verify against their own answers: a verifier that rejects the
 * dataset's worked solutions would reject correct teacher traces written the same way.
 */
class ReferenceSolutionsTest {
  private final MathVerifier verifier = new MathVerifier();

  @Test
  void math500SolutionsVerifyAgainstTheirAnswers() {
    List<JsonNode> rows = SharedData.rows("data/benchmarks/math500.jsonl");
    List<String> failures = new ArrayList<>();
    for (JsonNode r : rows) {
      Verification v = verifier.verify(r.get("answer").asText(), r.get("solution").asText());
      if (!v.correct()) {
        failures.add(r.get("unique_id").asText() + " answer=" + r.get("answer").asText() + " extracted="
            + v.extracted() + " reason=" + v.reason());
      }
    }
    double rate = 1.0 - (double) failures.size() / rows.size();
    System.out.printf("MATH-500 reference solutions verified: %d/%d = %.4f%n", rows.size() - failures.size(),
        rows.size(), rate);
    failures.forEach(f -> System.out.println("  not verified: " + f));
    // Measured: all 500 verify; the check is deterministic, so any regression fails.
    assertTrue(failures.isEmpty(), "MATH-500 reference agreement " + rate + " < 1: " + failures);
  }

  @Test
  void gsm8kReferencesVerifyAgainstTheirHashAnswers() {
    List<JsonNode> rows = SharedData.rows("data/benchmarks/gsm8k_test.jsonl");
    List<String> failures = new ArrayList<>();
    for (JsonNode r : rows) {
      String answer = r.get("answer").asText();
      int hash = answer.lastIndexOf("####");
      String gold = answer.substring(hash + 4).strip();
      Verification v = verifier.verify(gold, answer);
      if (!v.correct()) {
        failures.add("gold=" + gold + " extracted=" + v.extracted() + " reason=" + v.reason());
      }
    }
    double rate = 1.0 - (double) failures.size() / rows.size();
    System.out.printf("GSM8K references verified: %d/%d = %.4f%n", rows.size() - failures.size(), rows.size(), rate);
    failures.forEach(f -> System.out.println("  not verified: " + f));
    // Measured: all 1319 verify; deterministic, so any regression fails.
    assertTrue(failures.isEmpty(), "GSM8K reference agreement " + rate + " < 1: " + failures);
  }
}
