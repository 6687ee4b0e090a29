package dev.retort.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlVerificationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void rowsKeepTheirFieldsInOrderAndGainTheVerdict() throws Exception {
    Path in = dir.resolve("in.jsonl");
    Files.write(in, List.of(
        "{\"z\": 1, \"gold\": \"\\\\frac{1}{2}\", \"a\": [1, 2], \"response\": \"so \\\\boxed{0.5}\"}",
        "{\"gold\": 18, \"response\": \"9*2=18\\n#### 18\", \"correct\": \"stale\"}",
        "{\"gold\": \"5\", \"response\": \"\\\\boxed{5}\", \"finish_reason\": \"length\"}",
        "",
        "{\"gold\": \"5\", \"response\": \"<think>it is \\\\boxed{5}\"}",
        "{\"response\": \"\\\\boxed{5}\"}",
        "{not json",
        "[1, 2]"), StandardCharsets.UTF_8);
    Path out = dir.resolve("sub/out.jsonl");

    JsonlVerification.Stats stats = JsonlVerification.run(in, out, new MathVerifier());

    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
      rows.add(JSON.readTree(line));
    }
    assertEquals(7, rows.size(), "one output row per non-blank input line");
    assertEquals(new JsonlVerification.Stats(7, 2, 3), stats);

    assertEquals(List.of("z", "gold", "a", "response", "correct", "extracted", "reason"), names(rows.get(0)));
    assertTrue(rows.get(0).get("correct").asBoolean());
    assertEquals("0.5", rows.get(0).get("extracted").asText());
    assertEquals("equal", rows.get(0).get("reason").asText());

    // An existing "correct" field is overwritten in place.
    assertEquals(List.of("gold", "response", "correct", "extracted", "reason"), names(rows.get(1)));
    assertTrue(rows.get(1).get("correct").asBoolean());

    assertEquals("truncated", rows.get(2).get("reason").asText());
    assertEquals("no_answer", rows.get(3).get("reason").asText());
    assertTrue(rows.get(3).get("extracted").isNull());
    for (int k = 4; k < 7; k++) {
      assertTrue(rows.get(k).get("reason").asText().startsWith("malformed_row: "), rows.get(k).toString());
      assertEquals(false, rows.get(k).get("correct").asBoolean());
    }
    assertTrue(rows.get(4).get("reason").asText().contains("'gold'"));
    assertEquals("{not json", rows.get(5).get("raw").asText());
  }

  private static List<String> names(JsonNode n) {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }

  @Test
  void aBadByteFailsNamingTheLineAndLeavesThePreviousOutputWhole() throws Exception {
    Path in = dir.resolve("in.jsonl");
    Path out = dir.resolve("out.jsonl");
    List<String> good = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      good.add("{\"gold\": \"" + i + "\", \"response\": \"\\\\boxed{" + i + "}\"}");
    }
    Files.write(in, good, StandardCharsets.UTF_8);
    JsonlVerification.run(in, out, new MathVerifier());
    byte[] complete = Files.readAllBytes(out);

    java.io.ByteArrayOutputStream bad = new java.io.ByteArrayOutputStream();
    bad.write(Files.readAllBytes(in));
    bad.write(new byte[] {'{', '"', 'g', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
    Files.write(in, bad.toByteArray());
    java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
        () -> JsonlVerification.run(in, out, new MathVerifier()));
    assertTrue(e.getMessage().contains("line 5001"), e.getMessage());
    org.junit.jupiter.api.Assertions.assertArrayEquals(complete, Files.readAllBytes(out), "the complete output stays");
    try (var files = Files.list(dir)) {
      assertEquals(List.of("in.jsonl", "out.jsonl"), files.map(f -> f.getFileName().toString()).sorted().toList(),
          "no temporary left behind");
    }
  }
}
