package dev.retort.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.retort.verify.code.PythonSandbox;
import dev.retort.pipelines.RetortCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code retort verify --type code} through the CLI: rows {response, tests} back with correct and reason. */
class VerifyCodeCommandTest {
  @TempDir Path dir;

  @Test
  void rowsComeBackWithCorrectAndReason() throws Exception {
    try {
      PythonSandbox.create(PythonSandbox.Mode.BWRAP);
    } catch (PythonSandbox.UnavailableException e) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw e;
      }
      Assumptions.abort("code sandbox unavailable: " + e.getMessage());
    }
    Path in = dir.resolve("in.jsonl");
    Files.write(in, List.of(
        "{\"response\": \"```python\\nprint(input()[::-1])\\n```\", \"tests\": [{\"input\": \"abc\\n\", \"output\": \"cba\"}]}",
        "{\"response\": \"```python\\ndef inc(x):\\n    return x\\n```\", \"tests\": [{\"assert\": \"assert inc(1) == 2\"}]}",
        "{\"response\": \"```python\\nwhile True:\\n    pass\\n```\", \"tests\": [{\"input\": \"\", \"output\": \"\"}]}"));
    Path out = dir.resolve("out.jsonl");
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = RetortCli.execute("verify", "--type", "code", "--cpu-seconds", "1", "--input", in.toString(),
          "--output", out.toString());
    } finally {
      System.setErr(oldErr);
    }
    assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(out);
    assertEquals(3, lines.size());
    JsonNode first = json.readTree(lines.get(0));
    assertTrue(first.get("correct").asBoolean());
    assertEquals("accepted", first.get("reason").asText());
    assertEquals("wrong_answer", json.readTree(lines.get(1)).get("reason").asText());
    assertEquals("timeout", json.readTree(lines.get(2)).get("reason").asText());
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("3 rows, 1 correct"), err.toString(StandardCharsets.UTF_8));
  }
}
