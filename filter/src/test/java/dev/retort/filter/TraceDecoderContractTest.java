package dev.retort.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.Trace;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Contract;
import dev.retort.core.io.Contracts;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/** The decoder's type and null checks follow the trace contract's columns, whichever column it is. */
class TraceDecoderContractTest {
  private static final Trace GOOD = TestTraces.trace("p1", 2, "What is 1 + 1?", "2", "one plus one", "\\boxed{2}");

  /** A well-formed row as the codec writes it, by column name. */
  private static Map<String, Object> good() {
    GenericRecord r = Codecs.TRACE.encode(GOOD);
    Map<String, Object> m = new HashMap<>();
    for (String c : Contracts.TRACE.names()) {
      m.put(c, r.get(c));
    }
    return m;
  }

  @Test
  void aWellFormedRowDecodesToTheTrace() {
    TraceDecoder.Decoded d = TraceDecoder.decode(good()::get);
    assertTrue(d.ok(), d.malformed().toString());
    assertEquals(GOOD, d.trace());
    assertEquals(Contracts.TRACE.names(), TraceDecoder.COLUMNS);
  }

  @Test
  void aNullInANonNullColumnIsNamed() {
    for (Contract.Column c : Contracts.TRACE.columns()) {
      Map<String, Object> m = good();
      m.put(c.name(), null);
      List<String> reasons = TraceDecoder.decode(m::get).malformed();
      if (c.name().equals("prompt_id")) {
        assertEquals(List.of(Reasons.MISSING_PROMPT_ID), reasons);
      } else if (c.name().equals("problem")) {
        assertEquals(List.of(Reasons.MISSING_PROBLEM), reasons);
      } else {
        assertEquals(c.nullable() ? List.of() : List.of(Reasons.nullField(c.name())), reasons, c.name());
      }
    }
  }

  @Test
  void aValueOfAnotherTypeIsNamed() {
    for (Contract.Column c : Contracts.TRACE.columns()) {
      Map<String, Object> m = good();
      m.put(c.name(), Boolean.TRUE);
      TraceDecoder.Decoded d = TraceDecoder.decode(m::get);
      assertEquals(List.of(Reasons.badType(c.name())), d.malformed(), c.name());
      assertTrue(d.trace().error().contains("\"" + c.name() + "\":true"), d.trace().error());
    }
  }
}
