package dev.retort.core.data;

import java.util.Locale;

/** How a reference answer is compared: picks the verifier. Stored lower-case in Parquet. */
public enum AnswerType {
  /** An integer or rational number (GSM8K, AIME, arith). */
  NUMBER,
  /** Any LaTeX math answer: expressions, sets, intervals, matrices (MATH-500). */
  MATH,
  /** A multiple-choice letter. */
  CHOICE,
  /** An exact string after whitespace normalization. */
  STRING,
  /** A program: the response's final code block is run against tests held as JSON in the reference answer. */
  CODE;

  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static AnswerType parse(String s) {
    if (s == null || s.isBlank()) {
      return MATH;
    }
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown answer type '" + s + "' (expected number, math, choice, string or code)");
    }
  }
}
