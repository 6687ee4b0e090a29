package dev.retort.core.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.retort.core.data.AnswerType;
import dev.retort.core.data.Prompt;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
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
 *       (else the last \boxed{} of a solution column)
 * </ul>
 * Layout {@code auto} picks per row. {@link PromptColumns} renames a file's columns onto these
 * names first, so any Hugging Face dataset's column names work; {@link #files} finds the files of a
 * split in a Hugging Face datasets folder. Every file is read through {@link Store}, so inputs may be
 * local paths or URIs on any Hadoop FileSystem. Malformed rows (bad JSON, bad UTF-8, missing id or text,
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
    return read(Location.local(file), layout, maxChars, PromptColumns.DEFAULT, DEFAULT_SPLIT);
  }

  /**
   * Reads a prompt file or folder on any store (a local path, {@code hdfs://}, {@code s3a://}...).
   * A folder is either a Hugging Face datasets layout, whose files of {@code split} are read in
   * name order ({@link #files}), or a folder of Parquet files (Retort's own {@code prompts/}).
   * JSONL files ({@code .jsonl}, {@code .json}, gzipped too) and Parquet files read alike.
   *
   * @param columns the file's column for each field ({@link PromptColumns#DEFAULT}: the layout's names)
   * @param split the split read from a Hugging Face datasets folder (train, test, ...)
   * @throws IllegalArgumentException when the input does not exist, a folder holds no file of the
   *     split, or a configured column is not in a file (one line naming the file and column)
   */
  public static PromptSet read(Location input, String layout, int maxChars, PromptColumns columns, String split) {
    String lay = layout == null ? "auto" : layout.toLowerCase(Locale.ROOT);
    PromptColumns cols = columns == null ? PromptColumns.DEFAULT : columns;
    List<Location> files = files(input, split == null ? DEFAULT_SPLIT : split);
    String source = sourceName(input);
    List<Prompt> prompts = new ArrayList<>();
    List<RejectedRow> rejects = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    long[] row = {0};
    for (Location f : files) {
      Rows rows = new Rows(f, source, lay, maxChars, cols.mapping(), ids, prompts, rejects, row);
      if (isParquet(f.name())) {
        ParquetIO.forEachRecord(f, rec -> rows.parquetRow(rec));
      } else {
        rows.readJsonl();
      }
    }
    return new PromptSet(source, prompts, rejects);
  }

  public static final String DEFAULT_SPLIT = "train";
  private static final Pattern HF_SHARD = Pattern.compile("(.+?)-\\d{5}-of-\\d{5}([-.].*)?");

  /**
   * The files a prompt input stands for: a file itself; in a folder (or its {@code data/}
   * subfolder, as the Hub lays datasets out) the files of {@code split}, named
   * {@code <split>-00000-of-0000N.parquet} (or .jsonl), {@code <split>.parquet}/{@code .jsonl}, or
   * held in a {@code <split>/} folder; a folder without split names is a folder of Parquet
   * (and {@code .jsonl}) files read whole ({@link ParquetIO#files}: a committed folder's manifest
   * decides), so a stage output's {@code provenance.json} and {@code stats.json} are not read.
   */
  public static List<Location> files(Location input, String split) {
    Store s = Store.of(input);
    try {
      if (s.isFile(input)) {
        return List.of(input);
      }
      if (!s.isDirectory(input)) {
        throw new IllegalArgumentException("prompt file not found: " + input);
      }
      Location base = input;
      Location data = input.resolve("data");
      if (s.isDirectory(data)) {
        base = data;
      }
      List<Location> all = dataFiles(s, base);
      List<Location> ofSplit = new ArrayList<>();
      boolean hfNames = false;
      for (Location f : all) {
        Matcher m = HF_SHARD.matcher(f.name());
        if (m.matches()) {
          hfNames = true;
          if (m.group(1).equals(split)) {
            ofSplit.add(f);
          }
        } else if (stem(f.name()).equals(split)) {
          ofSplit.add(f);
        }
      }
      Location splitDir = base.resolve(split);
      if (ofSplit.isEmpty() && s.isDirectory(splitDir)) {
        ofSplit.addAll(dataFiles(s, splitDir));
      }
      if (!ofSplit.isEmpty()) {
        return ofSplit;
      }
      if (hfNames || base != input) {
        throw new IllegalArgumentException(input + ": no files of split '" + split + "' (expected "
            + split + "-00000-of-0000N.parquet, " + split + ".jsonl or " + split + "/ under " + base + "); files: "
            + all.stream().map(Location::name).toList());
      }
      List<Location> out = new ArrayList<>(ParquetIO.files(input));
      for (Location f : all) {
        // .jsonl only: a stage output's side files (provenance.json, stats.json) are no prompts.
        if (f.name().endsWith(".jsonl") || f.name().endsWith(".jsonl.gz")) {
          out.add(f);
        }
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException(input + ": no prompt files (*.parquet, *.jsonl, *.json)");
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + input + ": " + e.getMessage(), e);
    }
  }

  /** The Parquet and JSONL files directly in a folder, sorted (hidden and {@code _} names skipped). */
  private static List<Location> dataFiles(Store s, Location dir) throws IOException {
    List<Location> out = new ArrayList<>();
    for (Location f : s.list(dir)) {
      String n = f.name();
      if (!n.startsWith(".") && !n.startsWith("_") && (isParquet(n) || isJsonl(n)) && s.isFile(f)) {
        out.add(f);
      }
    }
    return out;
  }

  private static boolean isParquet(String name) {
    return name.endsWith(".parquet");
  }

  private static boolean isJsonl(String name) {
    String n = name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
    return n.endsWith(".jsonl") || n.endsWith(".json");
  }

  private static String stem(String name) {
    int dot = name.indexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }

  /** The source name of a file: its name without extension, e.g. {@code math500}. */
  public static String sourceName(Path file) {
    return stem(file.getFileName().toString());
  }

  /**
   * The source name of an input: a file's name without extension, a folder's name ({@code MATH-500}
   * for {@code .../MATH-500/data/test-00000-of-00001.parquet} given as the folder).
   */
  public static String sourceName(Location input) {
    Location l = input.name().equals("data") && input.parent() != null ? input.parent() : input;
    return stem(l.name());
  }

  /** The rows of one file, numbered on from the files before it (ids stay unique across shards). */
  private static final class Rows {
    private final Location file;
    private final String source;
    private final String layout;
    private final int maxChars;
    private final Map<String, String> columns;
    private final Set<String> ids;
    private final List<Prompt> prompts;
    private final List<RejectedRow> rejects;
    private final long[] row;
    private boolean checked;

    Rows(Location file, String source, String layout, int maxChars, Map<String, String> columns, Set<String> ids,
        List<Prompt> prompts, List<RejectedRow> rejects, long[] row) {
      this.file = file;
      this.source = source;
      this.layout = layout;
      this.maxChars = maxChars;
      this.columns = columns;
      this.ids = ids;
      this.prompts = prompts;
      this.rejects = rejects;
      this.row = row;
    }

    void parquetRow(GenericRecord rec) {
      row[0]++;
      ObjectNode node = toNode(rec);
      check(node);
      accept(source, row[0], mapColumns(node, columns), node.toString(), layout, maxChars, ids, prompts, rejects);
    }

    /** A configured column missing from the file's first row is a config mistake, not a bad row. */
    private void check(ObjectNode first) {
      if (checked || columns.isEmpty()) {
        return;
      }
      checked = true;
      for (Map.Entry<String, String> e : columns.entrySet()) {
        if (!first.has(e.getValue())) {
          List<String> have = new ArrayList<>();
          first.fieldNames().forEachRemaining(have::add);
          throw new IllegalArgumentException(file + ": no column '" + e.getValue() + "' (prompt-columns." + e.getKey()
              + "); its columns: " + have);
        }
      }
    }

    void readJsonl() {
      CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      try (InputStream raw = Store.of(file).open(file);
          InputStream in = new BufferedInputStream(file.name().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw, 1 << 16)) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        boolean more = true;
        while (more) {
          b = in.read();
          if (b == '\n' || b < 0) {
            more = b >= 0;
            if (line.size() == 0 && !more) {
              break;
            }
            long n = ++row[0];
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
            check(obj);
            accept(source, n, mapColumns(obj, columns), text, layout, maxChars, ids, prompts, rejects);
          } else {
            line.write(b);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * The row with each configured column copied under its field's canonical name (the names the
   * layouts read), replacing what the row had there; a configured column the row lacks leaves the
   * field absent, so the row is rejected with the field's reason.
   */
  static ObjectNode mapColumns(ObjectNode row, Map<String, String> columns) {
    if (columns.isEmpty()) {
      return row;
    }
    ObjectNode out = row.deepCopy();
    for (Map.Entry<String, String> e : columns.entrySet()) {
      JsonNode v = row.get(e.getValue());
      if (v == null) {
        out.remove(e.getKey());
      } else {
        out.set(e.getKey(), v);
      }
    }
    return out;
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
        String q = firstText(row, "problem", "question");
        if (q == null || q.isBlank()) {
          throw new IllegalArgumentException("missing_problem: no non-empty 'problem' or 'question' field");
        }
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
        if (answer == null && text(row, "solution") != null) {
          // Datasets with only a worked solution (NuminaMath, MATH's own files) box the answer in it.
          answer = lastBoxed(text(row, "solution"));
        }
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
    if ((row.has("question") || row.has("problem")) && row.path("answer").asText("").contains("####")) {
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
      // ShareGPT rows say {from: human|gpt, value} where the OpenAI form says {role: user|assistant, content}.
      String role = m.has("role") ? m.path("role").asText("") : m.path("from").asText("");
      role = role.equals("human") ? "user" : role.equals("gpt") ? "assistant" : role;
      JsonNode content = m.has("content") ? m.get("content") : m.get("value");
      String c = content == null || content.isNull() ? null : content.asText();
      if (user == null && role.equals("user")) {
        user = c;
      } else if (assistant == null && role.equals("assistant")) {
        assistant = c;
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
      for (Map.Entry<String, JsonNode> e : m.properties()) {
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
