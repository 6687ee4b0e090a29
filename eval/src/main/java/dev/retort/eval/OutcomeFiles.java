package dev.retort.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the input of {@code retort eval metrics}: JSONL rows
 * {@code {problem_id, sample_index, answer, correct}} (optional {@code completion_tokens}), or
 * eval-sample Parquet (a file or an {@code eval/<model>/<benchmark>/} folder). Any bad row is an
 * error naming the file, line and field: metrics over silently dropped rows would be wrong.
 */
public final class OutcomeFiles {
  private OutcomeFiles() {}

  public static List<Outcome> read(Path input) {
    if (!Files.exists(input)) {
      throw new IllegalArgumentException("input not found: " + input);
    }
    if (Files.isDirectory(input) || input.getFileName().toString().endsWith(".parquet")) {
      return ParquetIO.read(input, Codecs.EVAL_SAMPLE).stream().map(Outcome::of).toList();
    }
    List<Outcome> out = new ArrayList<>();
    for (Json.Line line : Json.readLines(input)) {
      String where = input + " line " + line.number();
      if (!line.ok()) {
        throw new IllegalArgumentException(where + ": " + line.error());
      }
      out.add(parse(line.node(), where));
    }
    return out;
  }

  static Outcome parse(ObjectNode row, String where) {
    JsonNode pid = row.get("problem_id");
    if (pid == null || pid.isNull() || !pid.isValueNode() || pid.asText().isEmpty()) {
      throw new IllegalArgumentException(where + ": missing or empty 'problem_id'");
    }
    JsonNode idx = row.get("sample_index");
    if (idx == null || !(idx.isIntegralNumber() || idx.isTextual() && idx.asText().matches("\\d+"))) {
      throw new IllegalArgumentException(where + ": 'sample_index' must be a non-negative integer, got " + idx);
    }
    if (!row.has("answer")) {
      throw new IllegalArgumentException(where + ": missing 'answer' (use null for no answer)");
    }
    JsonNode ans = row.get("answer");
    String answer = ans.isNull() ? null : ans.isValueNode() ? ans.asText() : ans.toString();
    Integer tokens = null;
    JsonNode t = row.get("completion_tokens");
    if (t != null && !t.isNull()) {
      if (!t.isIntegralNumber()) {
        throw new IllegalArgumentException(where + ": 'completion_tokens' must be an integer, got " + t);
      }
      tokens = t.asInt();
    }
    try {
      return new Outcome(pid.asText(), Integer.parseInt(idx.asText()), answer, bool(row.get("correct"), where), tokens);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(where + ": 'sample_index' out of range: " + idx);
    }
  }

  /** true/false, 1/0 and "true"/"false" are accepted; anything else is an error. */
  private static boolean bool(JsonNode v, String where) {
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException(where + ": missing 'correct'");
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    if (v.isIntegralNumber() && (v.asInt() == 0 || v.asInt() == 1)) {
      return v.asInt() == 1;
    }
    String s = v.asText().trim().toLowerCase(Locale.ROOT);
    if (v.isTextual() && (s.equals("true") || s.equals("false"))) {
      return s.equals("true");
    }
    throw new IllegalArgumentException(where + ": 'correct' must be true or false, got " + v);
  }
}
