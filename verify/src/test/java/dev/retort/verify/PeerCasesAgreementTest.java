package dev.retort.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Agreement with answer-equivalence cases written by other projects (shared/data/verifier). The
 * expectations are theirs, including a few that Math-Verify's maintainers consider wrong (e.g.
 * 1-1/e "equal" to 1+1/e), so agreement is measured and printed, with a floor, not required to
 * be 100%.
 */
class PeerCasesAgreementTest {

  @Test
  void mathVerifyCases() {
    List<JsonNode> rows = SharedData.rows("data/verifier/math_verify_cases.jsonl");
    int agree = 0;
    List<String> disagreements = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      JsonNode r = rows.get(i);
      boolean expected = (r.has("expected") ? r.get("expected") : r.get("result")).asInt() == 1;
      MathVerifier.Options opts = MathVerifier.Options.defaults();
      JsonNode precision = r.has("precision") ? r.get("precision") : r.path("options").path("precision");
      if (precision.isInt()) {
        // The case was written for this rounding precision (Math-Verify's float_rounding).
        opts = opts.withDecimalPlaces(precision.asInt());
      }
      Verification v = new MathVerifier(opts).verify(r.get("gold").asText(), r.get("pred").asText());
      if (v.correct() == expected) {
        agree++;
      } else {
        disagreements.add(String.format("#%d expected=%s got=%s reason=%s test=%s gold=%s extracted=%s", i, expected,
            v.correct(), v.reason(), r.path("test").asText(), abbreviate(r.get("gold").asText()), abbreviate(v.extracted())));
      }
    }
    double agreement = (double) agree / rows.size();
    System.out.printf("math_verify_cases: agreement %d/%d = %.3f%n", agree, rows.size(), agreement);
    disagreements.forEach(d -> System.out.println("  disagree " + d));
    // Measured: 260 of 268 agree (the 8 others are printed above). The check is deterministic:
    // one more disagreement is a regression.
    assertTrue(agree >= 260, "agreement with Math-Verify cases " + agree + "/" + rows.size() + " < 260: " + disagreements);
  }

  @Test
  void hendrycksMathEquivCases() {
    List<JsonNode> rows = SharedData.rows("data/verifier/hendrycks_math_equiv_cases.jsonl");
    MathVerifier verifier = new MathVerifier();
    int agree = 0;
    List<String> disagreements = new ArrayList<>();
    for (JsonNode r : rows) {
      boolean expected = r.get("expected").asInt() == 1;
      Verification v = verifier.verify(r.get("gold").asText(), r.get("pred").asText());
      if (v.correct() == expected) {
        agree++;
      } else {
        disagreements.add(r.toString() + " -> " + v);
      }
    }
    System.out.printf("hendrycks_math_equiv_cases: agreement %d/%d%n", agree, rows.size());
    disagreements.forEach(d -> System.out.println("  disagree " + d));
    assertEquals(rows.size(), agree, "MATH is_equiv cases must all agree: " + disagreements);
  }

  static String abbreviate(String s) {
    if (s == null) {
      return "null";
    }
    String t = s.replace("\n", "\\n");
    return t.length() <= 90 ? t : t.substring(0, 40) + " ... " + t.substring(t.length() - 45);
  }
}
