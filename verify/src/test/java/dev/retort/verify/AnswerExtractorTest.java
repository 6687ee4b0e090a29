package dev.retort.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class AnswerExtractorTest {

  private static String extract(String response) {
    return AnswerExtractor.extract(response).orElse(null);
  }

  @Test
  void lastBoxWithBalancedBraces() {
    assertEquals("\\frac{1}{\\sqrt{2}}", extract("First \\boxed{3}. Then $\\boxed{\\frac{1}{\\sqrt{2}}}$."));
    assertEquals("7", extract("so \\fbox{7}"));
    assertEquals("3", extract("The value is \\boxed 3."));
  }

  @Test
  void unbalancedLastBoxIsSkipped() {
    assertEquals("3", extract("We get \\boxed{3}. Double-checking gives \\boxed{4"));
  }

  @Test
  void thinkBlocks() {
    assertEquals("5", extract("<think>maybe \\boxed{4}</think>The answer is \\boxed{5}."));
    assertEquals(Optional.empty(), AnswerExtractor.extract("<think>so it is \\boxed{4} and"));
    assertTrue(AnswerExtractor.unfinishedThinking("<think>so it is"));
    // Templates that put "<think>" in the prompt leave only the closing tag in the response.
    assertEquals("5", extract("reasoning...\n</think>\n\n\\boxed{5}"));
  }

  @Test
  void gsm8kHashLineButNotMarkdownHeadings() {
    assertEquals("72", extract("48/2 = <<48/2=24>>24\n48+24 = <<48+24=72>>72\n#### 72"));
    assertEquals("12", extract("#### Step 1: Set up\nWe have 5 + 7.\n#### Step 2: Add\nThe answer is 12."));
  }

  @Test
  void finalAnswerPhrases() {
    assertEquals("7", extract("Long reasoning. Final Answer: The final answer is $7$. I hope it is correct."));
    assertEquals("004", extract("It is 4.\n\n**Final Answer**\n\\boxed{004}"));
    assertEquals("120", extract("Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct."));
    assertEquals("3.25", extract("The final answer is 3.25."));
  }

  @Test
  void boldAndAnswerIs() {
    assertEquals("42", extract("We add everything up.\n\nThe total is **42**."));
    assertEquals("9", extract("After checking all cases, the answer is 9."));
  }

  @Test
  void boxesJoinedOnlyByConnectors() {
    assertEquals("1, 2", extract("\\boxed{1} and \\boxed{2}"));
    assertEquals("(1, 2), (2, 1)", extract("solutions: \\boxed{(1, 2)}, \\boxed{(2, 1)}"));
    assertEquals("2", extract("\\boxed{1} no no no no no \\boxed{2}"));
  }

  @Test
  void shortResponsesAreBareAnswers() {
    assertEquals("016", extract("016"));
    assertEquals("x \\geq 5", extract("Therefore $x \\geq 5$ is the solution."));
    assertEquals("28 percent", extract("28 percent"));
    assertEquals("1,000.99", extract("the number is not 10 which is 1,000.99€"));
    assertEquals("Evelyn", extract("Evelyn"));
  }

  @Test
  void longResponsesNeedAConcludingSentenceAndAFinishedText() {
    String reasoning = "We consider each residue class modulo 7 and count the members. ".repeat(6);
    assertEquals("2/3", extract(reasoning + "Therefore, the probability that Alice wins is 2/3."));
    assertEquals(Optional.empty(), AnswerExtractor.extract(reasoning + "Next we try 5 and then 6 and then"));
    assertEquals(Optional.empty(), AnswerExtractor.extract(reasoning + "We try 12 next. Let me redo the count."));
  }

  @Test
  void chatTemplateTokensEndTheResponse() {
    assertEquals("3", extract("So \\boxed{3}.<|im_end|>\n<|im_start|>user\nNow \\boxed{4}"));
  }

  @Test
  void goldAnswersAreReadAsWritten() {
    assertEquals("1 and 2 and 3", AnswerExtractor.extractGold("$1$ and $2$ and $3$").answer());
    assertEquals("\\frac{1}{2}", AnswerExtractor.extractGold("\\frac{1}{2}").answer());
    assertEquals("28", AnswerExtractor.extractGold("So it is \\boxed{28}.").answer());
  }
}
