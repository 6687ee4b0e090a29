package dev.retort.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;

/**
 * Verifies a JSONL file row by row: each row's {@code gold} and {@code response} are verified and
 * the row is written back with all its fields, in order, plus {@code correct}, {@code extracted}
 * and {@code reason}. This is what {@code bin/retort verify} runs.
 *
 * <p>Bad rows do not stop the job: a line that is not a JSON object, or a row without a usable
 * {@code gold}/{@code response}, is written with {@code correct=false} and a reason starting with
 * "malformed_row: ", and counted. A row whose {@code finish_reason} is "length" (or that has
 * {@code "truncated": true}) was cut off by the generator and is never correct.
 */
public final class JsonlVerification {
  public static final String MALFORMED = "malformed_row: ";

  /** Counts of one run. */
  public record Stats(long rows, long correct, long malformed) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonlVerification() {}

  /** Reads {@code input}, writes {@code output} whole or not at all ({@link JsonlJob}). */
  public static Stats run(Path input, Path output, Verifier verifier) throws IOException {
    return JsonlJob.run(input, output, (in, out) -> run(in, out, verifier));
  }

  public static Stats run(BufferedReader in, Writer out, Verifier verifier) throws IOException {
    long rows = 0;
    long correct = 0;
    long malformed = 0;
    long lineNo = 0;
    String line;
    while ((line = in.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      rows++;
      ObjectNode row = verifyLine(line, lineNo, verifier);
      if (row.path("reason").asText().startsWith(MALFORMED)) {
        malformed++;
      } else if (row.path("correct").asBoolean()) {
        correct++;
      }
      out.write(JSON.writeValueAsString(row));
      out.write('\n');
    }
    out.flush();
    return new Stats(rows, correct, malformed);
  }

  /** One output row for one input line. */
  static ObjectNode verifyLine(String line, long lineNo, Verifier verifier) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      ObjectNode bad = JSON.createObjectNode();
      bad.put("line", lineNo);
      bad.put("raw", line);
      return result(bad, false, null, MALFORMED + "invalid JSON at line " + lineNo + ": "
          + e.getOriginalMessage().lines().findFirst().orElse("parse error"));
    }
    if (!(node instanceof ObjectNode row)) {
      ObjectNode bad = JSON.createObjectNode();
      bad.put("line", lineNo);
      bad.set("raw", node);
      return result(bad, false, null, MALFORMED + "line " + lineNo + " is not a JSON object");
    }
    String gold = text(row, "gold");
    String response = text(row, "response");
    if (gold == null || response == null) {
      String field = gold == null ? "gold" : "response";
      return result(row, false, null, MALFORMED + "field '" + field + "' missing or not a string/number at line " + lineNo);
    }
    boolean truncated = "length".equals(row.path("finish_reason").asText(null)) || row.path("truncated").asBoolean(false);
    Verification v = verifier.verify(gold, response, truncated);
    return result(row, v.correct(), v.extracted(), v.reason());
  }

  private static String text(ObjectNode row, String field) {
    JsonNode n = row.get(field);
    if (n == null || !(n.isTextual() || n.isNumber())) {
      return null;
    }
    return n.asText();
  }

  private static ObjectNode result(ObjectNode row, boolean correct, String extracted, String reason) {
    row.put("correct", correct);
    row.put("extracted", extracted);
    row.put("reason", reason);
    return row;
  }
}
