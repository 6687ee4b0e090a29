package dev.retort.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerEquivalenceTest {

  @Test
  void equalNumbersShareOneKey() {
    String half = AnswerEquivalence.canonical("\\frac{1}{2}");
    assertEquals(half, AnswerEquivalence.canonical("0.5"));
    assertEquals(half, AnswerEquivalence.canonical("1/2"));
    assertEquals(half, AnswerEquivalence.canonical("\\dfrac{2}{4}"));
    assertEquals(AnswerEquivalence.canonical("1000"), AnswerEquivalence.canonical("1,000"));
    assertEquals(AnswerEquivalence.canonical("16"), AnswerEquivalence.canonical("016"));
    assertNotEquals(half, AnswerEquivalence.canonical("0.51"));
  }

  @Test
  void expressionsGetAMarkupInsensitiveKey() {
    assertEquals(AnswerEquivalence.canonical("x + 1"), AnswerEquivalence.canonical("x+1"));
    assertEquals(AnswerEquivalence.canonical("\\left(1,2\\right)"), AnswerEquivalence.canonical("(1, 2)"));
  }

  @Test
  void equalKeysImplyEquivalence() {
    List<String> answers = List.of("0.5", "\\frac12", "2", "2.0", "x+1", "1+x", "\\sqrt{4}", "(1,2)", "\\{1,2\\}", "50\\%");
    for (String a : answers) {
      for (String b : answers) {
        if (AnswerEquivalence.canonical(a).equals(AnswerEquivalence.canonical(b))) {
          assertTrue(AnswerEquivalence.equivalent(a, b), a + " and " + b + " share a key but are not equivalent");
        }
      }
    }
  }

  @Test
  void equivalenceIsSymmetric() {
    assertTrue(AnswerEquivalence.equivalent("x = 3", "3"));
    assertTrue(AnswerEquivalence.equivalent("3", "x = 3"));
    assertTrue(AnswerEquivalence.equivalent("1+x", "x+1"));
    assertFalse(AnswerEquivalence.equivalent("1", "2"));
    assertFalse(AnswerEquivalence.equivalent(null, "2"));
  }
}
