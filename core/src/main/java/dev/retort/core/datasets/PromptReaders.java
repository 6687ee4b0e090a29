package dev.retort.core.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.retort.core.data.AnswerType;
import dev.retort.core.data.Prompt;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.generic.GenericRecord;

/**
 * Reads prompt sets from JSONL or Parquet and maps the common layouts onto the prompt contract:
 * <ul>
 *   <li>{@code math500}: problem, answer, solution, unique_id, subject, level (answer type math)
 *   <li>{@code gsm8k}: question, answer ending in {@code #### N} (answer type number)
 *   <li>{@code aime}: id, problem, answer, solution (answer type number)
 *   <li>{@code messages}: Hugging Face chat rows, {@code messages: [{role, content}]}; the first user
 *       turn is the problem, the first assistant turn the solution; answer from an {@code answer}
 *       column or the solution's last \boxed{}
 *   <li>{@code prompt}: files already in Retort's prompt contract
 *   <li>{@code generic}: any rows with problem|question|prompt and answer|reference_answer|gold
 * </ul>
 * Layout {@code auto} picks per row. Malformed rows (bad JSON, bad UTF-8, missing id or text,
 * oversize, duplicate id) are returned as {@link RejectedRow}s; reading never stops on them.
 */
public final class PromptReaders {
  public static final int DEFAULT_MAX_CHARS = 32_000;
  private static final Pattern GSM_ANSWER = Pattern.compile("####\\s*(.+?)\\s*$", Pattern.DOTALL);

  private PromptReaders() {}

  public static PromptSet read(Path file) {
    return read(file, "auto", DEFAULT_MAX_CHARS);
  }

  /**
   * @param layout auto, math500, gsm8k, aime, messages, prompt or generic
   * @param maxChars rows whose problem is longer are rejected as oversize
   */
  public static PromptSet read(Path file, String layout, int maxChars) {
    String source = sourceName(file);
    String lay = layout == null ? "auto" : layout.toLowerCase(Locale.ROOT);
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("prompt file not found: " + file);
    }
    List<Prompt> prompts = new ArrayList<>();
    List<RejectedRow> rejects = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    String name = file.getFileName().toString();
    if (Files.isDirectory(file) || name.endsWith(".parquet")) {
      long[] row = {0};
      ParquetIO.forEachRecord(file, rec -> {
        row[0]++;
        ObjectNode node = toNode(rec);
        accept(source, row[0], node, node.toString(), lay, maxChars, ids, prompts, rejects);
      });
    } else {
      readJsonl(file, source, lay, maxChars, ids, prompts, rejects);
    }
    return new PromptSet(source, prompts, rejects);
  }

  /** The source name of a file: its name without extension, e.g. {@code math500}. */
  public static String sourceName(Path file) {
    String n = file.getFileName().toString();
    int dot = n.indexOf('.');
    return dot > 0 ? n.substring(0, dot) : n;
  }

  private static void readJsonl(Path file, String source, String layout, int maxChars, Set<String> ids,
      List<Prompt> prompts, List<RejectedRow> rejects) {
    CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      long n = 0;
      int b;
      boolean more = true;
      while (more) {
        b = in.read();
        if (b == '\n' || b < 0) {
          more = b >= 0;
          if (line.size() == 0 && !more) {
            break;
          }
          n++;
          byte[] bytes = line.toByteArray();
          line.reset();
          String text;
          try {
            text = dec.decode(ByteBuffer.wrap(bytes)).toString();
          } catch (CharacterCodingException e) {
            rejects.add(new RejectedRow(source, n, new String(bytes, StandardCharsets.UTF_8), "bad_encoding: not valid UTF-8"));
            continue;
          }
          if (text.isBlank()) {
            continue;
          }
          JsonNode node;
          try {
            node = Json.COMPACT.readTree(text);
          } catch (IOException e) {
            rejects.add(new RejectedRow(source, n, text, "malformed_json: " + firstLine(e.getMessage())));
            continue;
          }
          if (!(node instanceof ObjectNode obj)) {
            rejects.add(new RejectedRow(source, n, text, "malformed_json: not an object"));
            continue;
          }
          accept(source, n, obj, text, layout, maxChars, ids, prompts, rejects);
        } else {
          line.write(b);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static void accept(String source, long n, ObjectNode row, String raw, String layout, int maxChars,
      Set<String> ids, List<Prompt> prompts, List<RejectedRow> rejects) {
    Prompt p;
    try {
      p = adapt(source, n, row, layout);
    } catch (IllegalArgumentException e) {
      rejects.add(new RejectedRow(source, n, raw, e.getMessage()));
      return;
    }
    if (p.problem().length() > maxChars) {
      rejects.add(new RejectedRow(source, n, raw, "oversize: problem has " + p.problem().length() + " chars, limit " + maxChars));
      return;
    }
    if (p.problem().indexOf('\uFFFD') >= 0) {
      rejects.add(new RejectedRow(source, n, raw, "bad_encoding: replacement character in problem"));
      return;
    }
    if (!ids.add(p.id())) {
      rejects.add(new RejectedRow(source, n, raw, "duplicate_id: " + p.id()));
      return;
    }
    prompts.add(p);
  }

  /** Maps one row onto the prompt contract, or throws IllegalArgumentException with a reason code. */
  static Prompt adapt(String source, long n, ObjectNode row, String layout) {
    String lay = layout.equals("auto") ? detect(row) : layout;
    return switch (lay) {
      case "prompt" -> new Prompt(req(row, "id", "missing_id"), text(row, "source") == null ? source : text(row, "source"),
          req(row, "problem", "missing_problem"), text(row, "reference_answer"),
          AnswerType.parse(text(row, "answer_type")), text(row, "solution"), meta(row, "metadata"));
      case "gsm8k" -> {
        String q = req(row, "question", "missing_problem");
        String full = req(row, "answer", "missing_answer");
        Matcher m = GSM_ANSWER.matcher(full);
        if (!m.find()) {
          throw new IllegalArgumentException("missing_answer: GSM8K answer has no '#### N'");
        }
        String answer = m.group(1).replace(",", "").trim();
        String solution = full.substring(0, full.lastIndexOf("####")).strip();
        String id = firstText(row, "id", "unique_id");
        yield new Prompt(id == null ? source + "/" + n : id, source, q, answer, AnswerType.NUMBER, solution, Map.of());
      }
      case "messages" -> fromMessages(source, n, row);
      case "math500", "aime", "generic" -> {
        String problem = firstText(row, "problem", "question", "prompt");
        if (problem == null || problem.isBlank()) {
          throw new IllegalArgumentException("missing_problem: no non-empty 'problem', 'question' or 'prompt' field");
        }
        String answer = firstText(row, "answer", "reference_answer", "gold", "final_answer");
        // A code problem's reference answer is its tests (an array of {input, output} or {assert}), as JSON.
        boolean codeTests = answer == null && row.path("tests").isArray();
        if (codeTests) {
          answer = row.get("tests").toString();
        }
        String id = firstText(row, "unique_id", "id", "problem_id");
        AnswerType type;
        if (text(row, "answer_type") != null) {
          type = AnswerType.parse(text(row, "answer_type"));
        } else if (codeTests) {
          type = AnswerType.CODE;
        } else if (lay.equals("aime") || source.toLowerCase(Locale.ROOT).contains("aime")) {
          type = AnswerType.NUMBER;
        } else {
          type = AnswerType.MATH;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (String k : List.of("subject", "level", "url", "type")) {
          if (text(row, k) != null) {
            meta.put(k, text(row, k));
          }
        }
        yield new Prompt(id == null ? source + "/" + n : id, source, problem, answer, type,
            text(row, "solution"), meta);
      }
      default -> throw new IllegalArgumentException("unknown layout '" + lay + "' (auto, math500, gsm8k, aime, messages, prompt, generic)");
    };
  }

  static String detect(ObjectNode row) {
    if (row.has("messages")) {
      return "messages";
    }
    if (row.has("answer_type") && row.has("id") && row.has("problem")) {
      return "prompt";
    }
    if (row.has("question") && row.path("answer").asText("").contains("####")) {
      return "gsm8k";
    }
    return "generic";
  }

  private static Prompt fromMessages(String source, long n, ObjectNode row) {
    JsonNode msgs = row.get("messages");
    if (msgs == null || !msgs.isArray()) {
      throw new IllegalArgumentException("malformed_messages: 'messages' is not a list");
    }
    String user = null;
    String assistant = null;
    for (JsonNode m : msgs) {
      String role = m.path("role").asText("");
      if (user == null && role.equals("user")) {
        user = m.path("content").asText(null);
      } else if (assistant == null && role.equals("assistant")) {
        assistant = m.path("content").asText(null);
      }
    }
    if (user == null || user.isBlank()) {
      throw new IllegalArgumentException("missing_problem: no user message");
    }
    String answer = firstText(row, "answer", "reference_answer", "gold");
    if (answer == null && assistant != null) {
      answer = lastBoxed(assistant);
    }
    String id = firstText(row, "id", "unique_id", "problem_id", "uuid");
    AnswerType type = text(row, "answer_type") == null ? AnswerType.MATH : AnswerType.parse(text(row, "answer_type"));
    return new Prompt(id == null ? source + "/" + n : id, firstText(row, "source") == null ? source : firstText(row, "source"),
        user, answer, type, assistant, Map.of());
  }

  /** The content of the last \boxed{...} in text, braces balanced; null if none. */
  public static String lastBoxed(String text) {
    int i = text.lastIndexOf("\\boxed{");
    if (i < 0) {
      return null;
    }
    int depth = 0;
    int start = i + "\\boxed{".length();
    for (int j = start; j < text.length(); j++) {
      char c = text.charAt(j);
      if (c == '{') {
        depth++;
      } else if (c == '}') {
        if (depth == 0) {
          return text.substring(start, j);
        }
        depth--;
      }
    }
    return null;
  }

  private static String req(ObjectNode row, String field, String code) {
    String v = text(row, field);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(code + ": missing or empty '" + field + "'");
    }
    return v;
  }

  private static String firstText(ObjectNode row, String... fields) {
    for (String f : fields) {
      String v = text(row, f);
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static String text(ObjectNode row, String field) {
    JsonNode v = row.get(field);
    if (v == null || v.isNull() || v.isMissingNode()) {
      return null;
    }
    return v.isValueNode() ? v.asText() : v.toString();
  }

  private static Map<String, String> meta(ObjectNode row, String field) {
    Map<String, String> out = new LinkedHashMap<>();
    JsonNode m = row.get(field);
    if (m != null && m.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = m.fields();
      while (it.hasNext()) {
        var e = it.next();
        out.put(e.getKey(), e.getValue().asText());
      }
    }
    return out;
  }

  private static ObjectNode toNode(GenericRecord rec) {
    try {
      // Avro's GenericRecord.toString() is JSON for the types these files hold.
      JsonNode n = Json.COMPACT.readTree(rec.toString());
      return n instanceof ObjectNode o ? o : Json.COMPACT.createObjectNode();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes prompts in the prompt contract (used by tests and by the prompts/ stage output). */
  public static void writeParquet(Path file, List<Prompt> prompts) {
    ParquetIO.write(file, Codecs.PROMPT, prompts);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }
}
