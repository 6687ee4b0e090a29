package dev.retort.filter;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.Trace;
import dev.retort.core.io.Contract.Column;
import dev.retort.core.io.Contracts;
import dev.retort.core.io.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one trace row leniently: a row that breaks the trace contract (missing prompt id, null
 * required fields, values of the wrong type or out of range) becomes a {@link Decoded} with its
 * reasons instead of an exception, so one bad row never stops the job. The rejected row keeps
 * what could be read, and the raw row as JSON in its {@code error} column for debugging.
 *
 * <p>Plain Java over a {@link Fields} view, so Spark rows and Avro records decode alike. Each
 * column's type and nullability come from the contract ({@link Contracts#TRACE}); the decoder adds
 * the checks of values (ids and problems not blank, sampling parameters in range).
 */
public final class TraceDecoder {
  /** Column access of one row: the value, or null when the column is absent or null. */
  @FunctionalInterface
  public interface Fields {
    Object get(String column);
  }

  /** The trace (always set, sanitized when malformed) and the malformed reasons (empty = well-formed). */
  public record Decoded(Trace trace, List<String> malformed) {
    public boolean ok() {
      return malformed.isEmpty();
    }
  }

  /** The trace contract's columns, in order ({@link Contracts#TRACE}). */
  public static final List<String> COLUMNS = Contracts.TRACE.names();

  // The columns read, from the contract: their types and nullability decide the checks.
  private static final Column PROMPT_ID = column("prompt_id");
  private static final Column SAMPLE_INDEX = column("sample_index");
  private static final Column TEACHER_ID = column("teacher_id");
  private static final Column SOURCE = column("source");
  private static final Column PROBLEM = column("problem");
  private static final Column REFERENCE_ANSWER = column("reference_answer");
  private static final Column ANSWER_TYPE = column("answer_type");
  private static final Column TEMPERATURE = column("temperature");
  private static final Column TOP_P = column("top_p");
  private static final Column TOP_K = column("top_k");
  private static final Column MAX_TOKENS = column("max_tokens");
  private static final Column SEED = column("seed");
  private static final Column REASONING = column("reasoning");
  private static final Column ANSWER = column("answer");
  private static final Column FINISH_REASON = column("finish_reason");
  private static final Column PROMPT_TOKENS = column("prompt_tokens");
  private static final Column COMPLETION_TOKENS = column("completion_tokens");
  private static final Column LATENCY_MS = column("latency_ms");
  private static final Column ERROR = column("error");

  private static final int MAX_RAW = 4096;

  private TraceDecoder() {}

  private static Column column(String name) {
    return Contracts.TRACE.column(name);
  }

  public static Decoded decode(Fields f) {
    List<String> bad = new ArrayList<>(0);
    // A missing id has its own reason rather than the null-field one.
    String promptId = (String) typed(f.get(PROMPT_ID.name()), PROMPT_ID, bad);
    if (promptId == null || promptId.isBlank()) {
      if (!bad.contains(Reasons.badType(PROMPT_ID.name()))) {
        bad.add(Reasons.MISSING_PROMPT_ID);
      }
      promptId = "";
    }
    Integer sampleIndex = (Integer) read(f, SAMPLE_INDEX, bad);
    if (sampleIndex != null && sampleIndex < 0) {
      bad.add(Reasons.badValue(SAMPLE_INDEX.name()));
    }
    String teacherId = (String) read(f, TEACHER_ID, bad);
    String source = (String) read(f, SOURCE, bad);
    String problem = (String) read(f, PROBLEM, bad);
    if ((problem == null || problem.isBlank()) && !bad.contains(Reasons.badType(PROBLEM.name()))) {
      bad.add(Reasons.MISSING_PROBLEM);
    }
    String reference = (String) read(f, REFERENCE_ANSWER, bad);
    String typeText = (String) read(f, ANSWER_TYPE, bad);
    AnswerType type = AnswerType.MATH;
    if (typeText != null && !typeText.isBlank()) {
      try {
        type = AnswerType.parse(typeText);
      } catch (IllegalArgumentException e) {
        bad.add(Reasons.badValue(ANSWER_TYPE.name()));
      }
    }
    Double temperature = (Double) read(f, TEMPERATURE, bad);
    Double topP = (Double) read(f, TOP_P, bad);
    Integer topK = (Integer) read(f, TOP_K, bad);
    Integer maxTokens = (Integer) read(f, MAX_TOKENS, bad);
    Long seed = (Long) read(f, SEED, bad);
    String reasoning = (String) read(f, REASONING, bad);
    String answer = (String) read(f, ANSWER, bad);
    String finish = (String) read(f, FINISH_REASON, bad);
    Integer promptTokens = (Integer) read(f, PROMPT_TOKENS, bad);
    Integer completionTokens = (Integer) read(f, COMPLETION_TOKENS, bad);
    Long latency = (Long) read(f, LATENCY_MS, bad);
    String error = (String) read(f, ERROR, bad);

    boolean tempOk = temperature != null && temperature >= 0 && !temperature.isNaN();
    boolean topPOk = topP != null && topP > 0 && topP <= 1;
    boolean maxOk = maxTokens != null && maxTokens > 0;
    if (temperature != null && !tempOk) {
      bad.add(Reasons.badValue(TEMPERATURE.name()));
    }
    if (topP != null && !topPOk) {
      bad.add(Reasons.badValue(TOP_P.name()));
    }
    if (maxTokens != null && !maxOk) {
      bad.add(Reasons.badValue(MAX_TOKENS.name()));
    }
    SamplingParams sampling = new SamplingParams(tempOk ? temperature : 0, topPOk ? topP : 1,
        topK == null ? 0 : topK, maxOk ? maxTokens : 1, seed);
    if (!bad.isEmpty()) {
      error = raw(f);
    }
    Trace t = new Trace(promptId, sampleIndex == null ? -1 : sampleIndex, teacherId, source, problem, reference, type,
        sampling, reasoning, answer, finish, promptTokens == null ? 0 : promptTokens,
        completionTokens == null ? 0 : completionTokens, latency == null ? 0 : latency, error);
    return new Decoded(t, List.copyOf(bad));
  }

  /** The row as a JSON object of the contract's columns, truncated: the evidence kept with a malformed row. */
  static String raw(Fields f) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String c : COLUMNS) {
      Object v = f.get(c);
      m.put(c, v == null || v instanceof Number || v instanceof Boolean ? v : v.toString());
    }
    String s = "malformed row: " + Json.toJson(m);
    return s.length() > MAX_RAW ? s.substring(0, MAX_RAW) + "..." : s;
  }

  /**
   * The column's value as its contract type, or null: a null in a non-null column and a value of
   * another type are reasons.
   */
  private static Object read(Fields f, Column c, List<String> bad) {
    Object v = f.get(c.name());
    if (v == null) {
      if (!c.nullable()) {
        bad.add(Reasons.nullField(c.name()));
      }
      return null;
    }
    return typed(v, c, bad);
  }

  /**
   * A non-null value as the column's Java type (String, Integer, Long, Double): narrower numbers are
   * widened, a long that fits an int column is taken; anything else is a bad type (null returned).
   */
  private static Object typed(Object v, Column c, List<String> bad) {
    if (v == null) {
      return null;
    }
    Object out = switch (c.type()) {
      case STRING -> v instanceof CharSequence s ? s.toString() : null;
      case INT -> asInt(v);
      case LONG -> v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
          ? Long.valueOf(((Number) v).longValue()) : null;
      case DOUBLE -> v instanceof Double || v instanceof Float || v instanceof Integer || v instanceof Long
          ? Double.valueOf(((Number) v).doubleValue()) : null;
      default -> throw new IllegalStateException("trace column " + c.name() + " is a " + c.docType());
    };
    if (out == null) {
      bad.add(Reasons.badType(c.name()));
    }
    return out;
  }

  private static Integer asInt(Object v) {
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).intValue();
    }
    return v instanceof Long l && l == l.intValue() ? Integer.valueOf(l.intValue()) : null;
  }
}
