package dev.retort.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code bin/retort verify --type code} runs: JSONL rows in, the same rows plus verdicts out, in order. */
class CodeJsonlTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void rowsComeBackInOrderWithCorrectAndReason(@TempDir Path dir) throws Exception {
    List<String> in = List.of(
        "{\"id\": 1, \"response\": \"```python\\nprint(int(input()) + 1)\\n```\", "
            + "\"tests\": [{\"input\": \"1\\n\", \"output\": \"2\\n\"}, {\"input\": \"41\\n\", \"output\": \"42\"}]}",
        "{\"id\": 2, \"response\": \"```python\\ndef sq(x):\\n    return x * x\\n```\", "
            + "\"tests\": [{\"assert\": \"assert sq(3) == 9\"}, {\"assert\": \"assert sq(-2) == 5\"}]}",
        "{\"id\": 3, \"response\": \"no code here\", \"tests\": [{\"input\": \"\", \"output\": \"\"}]}",
        "{\"id\": 4, \"response\": \"```python\\nx = bytearray(100 << 20)\\nprint(1)\\n```\", \"memory_limit_mb\": 64, "
            + "\"tests\": [{\"input\": \"\", \"output\": \"1\"}]}",
        "{\"id\": 5, \"response\": \"```python\\nx = bytearray(100 << 20)\\nprint(1)\\n```\", "
            + "\"tests\": [{\"input\": \"\", \"output\": \"1\"}]}",
        "not json",
        "{\"id\": 6, \"response\": \"```python\\nprint(1)\\n```\", \"tests\": [{\"input\": \"\"}]}");
    Path input = dir.resolve("in.jsonl");
    Path output = dir.resolve("out/rows.jsonl");
    Files.write(input, in);
    PythonSandbox box = Sandboxes.bwrap();
    CodeJsonl.Stats stats = CodeJsonl.run(input, output, new CodeVerifier(() -> box, CodeLimits.of(1, 256L << 20)), 2);
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(output)) {
      out.add(JSON.readTree(line));
    }
    assertEquals(7, out.size());
    assertEquals(new CodeJsonl.Stats(7, 2, 2), stats);
    assertEquals(1, out.get(0).get("id").asInt());
    assertTrue(out.get(0).get("correct").asBoolean());
    assertEquals("accepted", out.get(0).get("reason").asText());
    assertEquals("wrong_answer", out.get(1).get("reason").asText());
    assertEquals(1, out.get(1).get("failed_test").asInt());
    assertEquals("no_code", out.get(2).get("reason").asText());
    // 100 MB: over the row's own 64 MB limit, within the default 256 MB of the next row.
    assertEquals("memory_limit", out.get(3).get("reason").asText());
    assertEquals("accepted", out.get(4).get("reason").asText());
    assertTrue(out.get(5).get("reason").asText().startsWith("malformed_row: "));
    assertTrue(out.get(6).get("reason").asText().startsWith("malformed_row: "));
    assertFalse(out.get(6).get("correct").asBoolean());
  }
}
