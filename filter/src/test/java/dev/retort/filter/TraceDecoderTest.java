package dev.retort.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceDecoderTest {
  private static Map<String, Object> good() {
    Map<String, Object> m = new HashMap<>();
    m.put("prompt_id", "p1");
    m.put("sample_index", 2);
    m.put("problem", "What is 1 + 1?");
    m.put("reference_answer", "2");
    m.put("answer_type", "number");
    m.put("temperature", 0.6);
    m.put("top_p", 0.95);
    m.put("top_k", 0);
    m.put("max_tokens", 128);
    m.put("reasoning", "one plus one");
    m.put("answer", "\\boxed{2}");
    m.put("finish_reason", "stop");
    m.put("prompt_tokens", 10);
    m.put("completion_tokens", 12);
    m.put("latency_ms", 30L);
    return m;
  }

  private static TraceDecoder.Decoded decode(Map<String, Object> m) {
    return TraceDecoder.decode(m::get);
  }

  @Test
  void wellFormedRowDecodes() {
    TraceDecoder.Decoded d = decode(good());
    assertTrue(d.ok(), d.malformed().toString());
    assertEquals("p1", d.trace().promptId());
    assertEquals(2, d.trace().sampleIndex());
    assertEquals(128, d.trace().sampling().maxTokens());
    assertEquals(null, d.trace().error());
  }

  @Test
  void everyProblemOfARowIsNamed() {
    Map<String, Object> m = good();
    m.remove("prompt_id");
    m.remove("temperature");
    m.put("sample_index", "two");
    m.put("top_p", 1.5);
    m.put("answer_type", "essay");
    TraceDecoder.Decoded d = decode(m);
    assertEquals(List.of(Reasons.MISSING_PROMPT_ID, Reasons.badType("sample_index"), Reasons.badValue("answer_type"),
        Reasons.nullField("temperature"), Reasons.badValue("top_p")), d.malformed());
    // What could be read is kept, and the raw row is the evidence.
    assertEquals("", d.trace().promptId());
    assertEquals("one plus one", d.trace().reasoning());
    assertTrue(d.trace().error().startsWith("malformed row: {"), d.trace().error());
    assertTrue(d.trace().error().contains("\"sample_index\":\"two\""), d.trace().error());
  }

  @Test
  void missingProblemAndBlankIdAreMalformed() {
    Map<String, Object> m = good();
    m.put("prompt_id", "  ");
    m.put("problem", null);
    assertEquals(List.of(Reasons.MISSING_PROMPT_ID, Reasons.MISSING_PROBLEM), decode(m).malformed());
  }
}
