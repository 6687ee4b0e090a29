package dev.retort.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class OtherVerifiersTest {
  private final MultipleChoiceVerifier choice = new MultipleChoiceVerifier();
  private final ExactVerifier exact = new ExactVerifier();

  @ParameterizedTest
  @ValueSource(strings = {
      "The answer is (C).", "\\boxed{C}", "**Answer: C**", "C) 42", "Final answer: $\\text{(C)}$",
      "<think>A or C?</think>Answer: C", "Checking each option, only (C) works."})
  void choiceLetterIsFound(String response) {
    Verification v = choice.verify("C", response);
    assertTrue(v.correct(), response + " -> " + v);
    assertEquals("C", v.extracted());
  }

  @Test
  void wrongOrMissingChoice() {
    assertFalse(choice.verify("C", "The answer is (B).").correct());
    assertEquals(Verification.NO_ANSWER, choice.verify("C", "I am not sure.").reason());
    assertEquals(Verification.NO_ANSWER, choice.verify("C", "<think>it is (C) maybe").reason());
    assertEquals(Verification.PARSE_ERROR, choice.verify("42", "(C)").reason());
    assertTrue(choice.verify("\\text{(c)}", "\\boxed{C}").correct());
  }

  @Test
  void choiceOfNeedsAStandaloneLetter() {
    assertEquals(Optional.of('B'), MultipleChoiceVerifier.choiceOf("(B) 17"));
    assertEquals(Optional.empty(), MultipleChoiceVerifier.choiceOf("Cats"));
  }

  @Test
  void exactStrings() {
    assertTrue(exact.verify("Paris", "The answer is Paris.").correct());
    assertTrue(exact.verify("Paris", "\\boxed{Paris}").correct());
    assertTrue(exact.verify("New  York", "New York").correct());
    assertFalse(exact.verify("Paris", "paris").correct());
    assertFalse(exact.verify("Paris", "The answer is Lyon.").correct());
  }

  @Test
  void verifiersByAnswerType() {
    assertInstanceOf(MathVerifier.class, Verifiers.forAnswerType("math"));
    assertInstanceOf(MathVerifier.class, Verifiers.forAnswerType("number"));
    assertInstanceOf(MultipleChoiceVerifier.class, Verifiers.forAnswerType("choice"));
    assertInstanceOf(ExactVerifier.class, Verifiers.forAnswerType(" String "));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Verifiers.forAnswerType("regex"));
    assertTrue(e.getMessage().contains("regex") && e.getMessage().contains("number, math, choice, string"), e.getMessage());
  }

  @Test
  void numberTypeVerifiesGsm8kStyle() {
    assertTrue(Verifiers.forAnswerType("number").verify("1,200", "So she earns 1200 dollars.\n#### 1200").correct());
  }
}
