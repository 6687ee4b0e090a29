package dev.retort.verify.code;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * One test of a code problem, in either style found in public data: a stdin/stdout pair
 * (competitive programming) or an assertion program (function-level benchmarks).
 *
 * @param input the stdin of a stdin/stdout test; null for an assertion test
 * @param output the expected stdout of a stdin/stdout test; null for an assertion test
 * @param assertion Python run after the solution's code in the same namespace; passes when it exits 0
 */
public record CodeTest(String input, String output, String assertion) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public CodeTest {
    boolean io = input != null && output != null;
    if (io == (assertion != null)) {
      throw new IllegalArgumentException("a test is either {input, output} or {assert}");
    }
  }

  public static CodeTest io(String input, String output) {
    return new CodeTest(input, output, null);
  }

  public static CodeTest asserting(String source) {
    return new CodeTest(null, null, source);
  }

  public boolean isAssertion() {
    return assertion != null;
  }

  /**
   * Parses tests from JSON: an array of {@code {"input", "output"}} or {@code {"assert"}}
   * objects, or an object with such an array under {@code "tests"}; this is what a code prompt's
   * reference answer holds.
   *
   * @throws IllegalArgumentException when the text is not such JSON, or holds no test
   */
  public static List<CodeTest> parseJson(String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json == null ? "" : json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("tests are not JSON: " + e.getOriginalMessage());
    }
    return parse(node);
  }

  /** As {@link #parseJson}, from a parsed node. */
  public static List<CodeTest> parse(JsonNode node) {
    if (node != null && node.isObject() && node.has("tests")) {
      node = node.get("tests");
    }
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw new IllegalArgumentException("tests must be a non-empty JSON array");
    }
    List<CodeTest> out = new ArrayList<>(node.size());
    for (JsonNode t : node) {
      if (t.hasNonNull("assert") && t.get("assert").isTextual()) {
        out.add(asserting(t.get("assert").asText()));
      } else if (t.hasNonNull("input") && t.hasNonNull("output")) {
        out.add(io(t.get("input").asText(), t.get("output").asText()));
      } else {
        throw new IllegalArgumentException("test " + out.size() + " has neither 'assert' nor 'input' and 'output'");
      }
    }
    return out;
  }

  /**
   * Line-by-line comparison of stdout: trailing whitespace of each line and trailing blank
   * lines are ignored, nothing else is.
   */
  public static boolean sameOutput(String expected, String actual) {
    return normalize(expected).equals(normalize(actual));
  }

  static List<String> normalize(String text) {
    List<String> lines = new ArrayList<>();
    for (String l : text.split("\r?\n", -1)) {
      lines.add(l.stripTrailing());
    }
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    return lines;
  }
}
