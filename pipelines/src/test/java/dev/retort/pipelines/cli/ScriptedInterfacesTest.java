package dev.retort.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command lines outside scripts rely on, called as a script calls them: {@code verify}
 * (JSONL in, JSONL out) and {@code eval metrics} (JSON on stdout); the bench module's tests call a
 * {@code bench} command.
 */
class ScriptedInterfacesTest {
  @TempDir Path dir;

  private static List<JsonNode> jsonl(Path f) throws Exception {
    return Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).map(l -> {
      try {
        return Json.MAPPER.readTree(l);
      } catch (Exception e) {
        throw new IllegalStateException(l, e);
      }
    }).toList();
  }

  @Test
  void verifyAddsCorrectExtractedAndReasonAndKeepsTheOtherFields() throws Exception {
    Path in = dir.resolve("in.jsonl");
    Files.writeString(in, """
        {"id": "half", "gold": "0.5", "response": "<think>\\n1 over 2\\n</think>\\n\\nSo the answer is \\\\boxed{\\\\frac{1}{2}}."}
        {"id": "off", "gold": "3", "response": "The answer is \\\\boxed{4}."}
        {"id": "none", "gold": "3", "response": "<think>\\nit could be 3, but the budget ran out"}
        """);
    Path out = dir.resolve("out.jsonl");
    CliRun r = CliRun.of("verify", "--input", in.toString(), "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    List<JsonNode> rows = jsonl(out);
    assertEquals(List.of("half", "off", "none"), rows.stream().map(n -> n.get("id").asText()).toList());
    assertTrue(rows.get(0).get("correct").asBoolean(), rows.get(0).toString());
    assertEquals("\\frac{1}{2}", rows.get(0).get("extracted").asText());
    assertFalse(rows.get(1).get("correct").asBoolean());
    assertEquals("4", rows.get(1).get("extracted").asText());
    assertFalse(rows.get(2).get("correct").asBoolean());
    assertTrue(rows.get(2).get("extracted").isNull(), "no answer in an unclosed think block: " + rows.get(2));
    for (JsonNode n : rows) {
      assertFalse(n.get("reason").asText().isBlank() && !n.get("correct").asBoolean(), "a rejection says why: " + n);
    }
  }

  @Test
  void verifyFailingOnBadInputLeavesTheEarlierOutputWhole() throws Exception {
    Path out = dir.resolve("out.jsonl");
    Files.writeString(out, "{\"earlier\": true}\n");
    Path in = dir.resolve("bad.jsonl");
    byte[] good = "{\"gold\": \"1\", \"response\": \"\\\\boxed{1}\"}\n".getBytes(StandardCharsets.UTF_8);
    byte[] bad = {'{', '"', 'g', 'o', 'l', 'd', '"', ':', ' ', '"', (byte) 0xff, '"', '}', '\n'};
    byte[] all = new byte[good.length * 2 + bad.length];
    System.arraycopy(good, 0, all, 0, good.length);
    System.arraycopy(good, 0, all, good.length, good.length);
    System.arraycopy(bad, 0, all, 2 * good.length, bad.length);
    Files.write(in, all);
    CliRun r = CliRun.of("verify", "--input", in.toString(), "--output", out.toString());
    assertNotEquals(0, r.code());
    String err = r.err().strip();
    assertTrue(err.contains(in.toString()) && err.contains("3"), "the error names the file and the line: " + err);
    assertEquals("{\"earlier\": true}\n", Files.readString(out), "the earlier output is untouched");
  }

  @Test
  void evalMetricsPrintsPassAndMajorityAsJson() throws Exception {
    Path in = dir.resolve("samples.jsonl");
    StringBuilder b = new StringBuilder();
    String[][] rows = {
        {"a", "0", "1/2", "true"}, {"a", "1", "0.5", "true"}, {"a", "2", "3", "false"}, {"a", "3", "3", "false"},
        {"b", "0", "7", "false"}, {"b", "1", "8", "false"}, {"b", "2", "9", "false"}, {"b", "3", "7", "false"}};
    for (String[] r : rows) {
      b.append(String.format("{\"problem_id\": \"%s\", \"sample_index\": %s, \"answer\": \"%s\", \"correct\": %s}%n", r[0], r[1], r[2], r[3]));
    }
    Files.writeString(in, b.toString());

    CliRun eq = CliRun.of("eval", "metrics", "--input", in.toString(), "--k", "1,4");
    assertEquals(0, eq.code(), eq.err());
    JsonNode m = Json.MAPPER.readTree(eq.out().strip().lines().reduce((x, y) -> y).orElseThrow());
    assertEquals(2, m.get("n_problems").asInt());
    assertEquals(0.25, m.get("pass@1").asDouble(), 1e-9, "a: 2 of 4 right, b: none");
    assertEquals(0.5, m.get("pass@4").asDouble(), 1e-9);
    // a: {1/2, 0.5} and {3} tie at 2 votes; the group voted first wins, and it is right.
    assertEquals(0.5, m.get("maj@4").asDouble(), 1e-9);

    CliRun exact = CliRun.of("eval", "metrics", "--input", in.toString(), "--k", "4", "--grouping", "exact");
    assertEquals(0, exact.code(), exact.err());
    JsonNode e = Json.MAPPER.readTree(exact.out().strip().lines().reduce((x, y) -> y).orElseThrow());
    assertEquals(0.0, e.get("maj@4").asDouble(), 1e-9, "as strings 3 out-votes 1/2 and 0.5");

    CliRun tooFew = CliRun.of("eval", "metrics", "--input", in.toString(), "--k", "8");
    assertEquals(2, tooFew.code());
    assertTrue(tooFew.err().contains("a") && tooFew.err().contains("8"), tooFew.err());
  }
}
