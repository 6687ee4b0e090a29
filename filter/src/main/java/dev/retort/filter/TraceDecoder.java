package dev.retort.filter;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.Trace;
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
 * <p>Plain Java over a {@link Fields} view, so Spark rows and Avro records decode alike.
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

  /** The trace contract's columns, in order (docs/data-contracts.md). */
  public static final List<String> COLUMNS = List.of("prompt_id", "sample_index", "teacher_id", "source", "problem",
      "reference_answer", "answer_type", "temperature", "top_p", "top_k", "max_tokens", "seed", "reasoning", "answer",
      "finish_reason", "prompt_tokens", "completion_tokens", "latency_ms", "error");

  private static final int MAX_RAW = 4096;

  private TraceDecoder() {}

  public static Decoded decode(Fields f) {
    List<String> bad = new ArrayList<>(0);
    String promptId = string(f, "prompt_id", bad);
    if (promptId == null || promptId.isBlank()) {
      if (!bad.contains(Reasons.badType("prompt_id"))) {
        bad.add(Reasons.MISSING_PROMPT_ID);
      }
      promptId = "";
    }
    Integer sampleIndex = requiredInt(f, "sample_index", bad);
    if (sampleIndex != null && sampleIndex < 0) {
      bad.add(Reasons.badValue("sample_index"));
    }
    String teacherId = string(f, "teacher_id", bad);
    String source = string(f, "source", bad);
    String problem = string(f, "problem", bad);
    if ((problem == null || problem.isBlank()) && !bad.contains(Reasons.badType("problem"))) {
      bad.add(Reasons.MISSING_PROBLEM);
    }
    String reference = string(f, "reference_answer", bad);
    String typeText = string(f, "answer_type", bad);
    AnswerType type = AnswerType.MATH;
    if (typeText != null && !typeText.isBlank()) {
      try {
        type = AnswerType.parse(typeText);
      } catch (IllegalArgumentException e) {
        bad.add(Reasons.badValue("answer_type"));
      }
    }
    Double temperature = requiredDouble(f, "temperature", bad);
    Double topP = requiredDouble(f, "top_p", bad);
    Integer topK = requiredInt(f, "top_k", bad);
    Integer maxTokens = requiredInt(f, "max_tokens", bad);
    Long seed = optionalLong(f, "seed", bad);
    String reasoning = string(f, "reasoning", bad);
    String answer = string(f, "answer", bad);
    String finish = string(f, "finish_reason", bad);
    Integer promptTokens = requiredInt(f, "prompt_tokens", bad);
    Integer completionTokens = requiredInt(f, "completion_tokens", bad);
    Long latency = requiredLong(f, "latency_ms", bad);
    String error = string(f, "error", bad);

    boolean tempOk = temperature != null && temperature >= 0 && !temperature.isNaN();
    boolean topPOk = topP != null && topP > 0 && topP <= 1;
    boolean maxOk = maxTokens != null && maxTokens > 0;
    if (temperature != null && !tempOk) {
      bad.add(Reasons.badValue("temperature"));
    }
    if (topP != null && !topPOk) {
      bad.add(Reasons.badValue("top_p"));
    }
    if (maxTokens != null && !maxOk) {
      bad.add(Reasons.badValue("max_tokens"));
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

  private static String string(Fields f, String c, List<String> bad) {
    Object v = f.get(c);
    if (v == null) {
      return null;
    }
    if (v instanceof CharSequence s) {
      return s.toString();
    }
    bad.add(Reasons.badType(c));
    return null;
  }

  private static Integer requiredInt(Fields f, String c, List<String> bad) {
    Object v = f.get(c);
    if (v == null) {
      bad.add(Reasons.nullField(c));
      return null;
    }
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).intValue();
    }
    if (v instanceof Long l && l == l.intValue()) {
      return l.intValue();
    }
    bad.add(Reasons.badType(c));
    return null;
  }

  private static Long requiredLong(Fields f, String c, List<String> bad) {
    Object v = f.get(c);
    if (v == null) {
      bad.add(Reasons.nullField(c));
      return null;
    }
    return asLong(v, c, bad);
  }

  private static Long optionalLong(Fields f, String c, List<String> bad) {
    Object v = f.get(c);
    return v == null ? null : asLong(v, c, bad);
  }

  private static Long asLong(Object v, String c, List<String> bad) {
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    bad.add(Reasons.badType(c));
    return null;
  }

  private static Double requiredDouble(Fields f, String c, List<String> bad) {
    Object v = f.get(c);
    if (v == null) {
      bad.add(Reasons.nullField(c));
      return null;
    }
    if (v instanceof Double || v instanceof Float || v instanceof Integer || v instanceof Long) {
      return ((Number) v).doubleValue();
    }
    bad.add(Reasons.badType(c));
    return null;
  }
}
