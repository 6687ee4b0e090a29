package dev.retort.teacher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.retort.core.io.Json;
import org.junit.jupiter.api.Test;

class ReasoningParserTest {
  private static ObjectNode msg(String content) {
    ObjectNode m = Json.COMPACT.createObjectNode().put("role", "assistant");
    if (content != null) {
      m.put("content", content);
    }
    return m;
  }

  @Test
  void vllmReasoningField() {
    ReasoningParser.Parts p = ReasoningParser.parse(msg("The answer is \\boxed{4}.").put("reasoning", " 2+2=4 "));
    assertEquals("2+2=4", p.reasoning());
    assertEquals("The answer is \\boxed{4}.", p.answer());
  }

  @Test
  void reasoningContentFieldOfSglangAndDeepSeek() {
    ReasoningParser.Parts p = ReasoningParser.parse(msg("\\boxed{7}").put("reasoning_content", "3+4=7"));
    assertEquals("3+4=7", p.reasoning());
    assertEquals("\\boxed{7}", p.answer());
  }

  @Test
  void reasoningWinsOverReasoningContentAndNullContentIsEmptyAnswer() {
    ObjectNode m = msg(null).put("reasoning", "new").put("reasoning_content", "old");
    m.putNull("content");
    ReasoningParser.Parts p = ReasoningParser.parse(m);
    assertEquals("new", p.reasoning());
    assertEquals("", p.answer());
  }

  @Test
  void thinkTagsInContent() {
    ReasoningParser.Parts p = ReasoningParser.parse(msg("<think>\nfirst, 6*7\n</think>\n\nIt is \\boxed{42}."));
    assertEquals("first, 6*7", p.reasoning());
    assertEquals("It is \\boxed{42}.", p.answer());
  }

  @Test
  void r1OutputWithoutOpeningTag() {
    ReasoningParser.Parts p = ReasoningParser.parse(msg("Okay, so 10-3 is 7.\n</think>\n\n\\boxed{7}"));
    assertEquals("Okay, so 10-3 is 7.", p.reasoning());
    assertEquals("\\boxed{7}", p.answer());
  }

  @Test
  void unclosedThinkBlockIsAllReasoning() {
    ReasoningParser.Parts p = ReasoningParser.parse(msg("<think>\nstill thinking when the budget ran"));
    assertEquals("still thinking when the budget ran", p.reasoning());
    assertEquals("", p.answer());
  }

  @Test
  void plainContentHasNoReasoning() {
    ReasoningParser.Parts p = ReasoningParser.parse(msg("just \\boxed{1}"));
    assertEquals("", p.reasoning());
    assertEquals("just \\boxed{1}", p.answer());
  }

  @Test
  void strayClosingTagAfterReasoningFieldIsRemoved() {
    ReasoningParser.Parts p = ReasoningParser.parse(msg("</think>\n\n\\boxed{3}").put("reasoning_content", "r"));
    assertEquals("\\boxed{3}", p.answer());
  }
}
