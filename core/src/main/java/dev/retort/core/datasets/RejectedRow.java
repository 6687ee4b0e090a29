package dev.retort.core.datasets;

/**
 * An input row that could not be used, with the reason; written to a rejects output, never dropped.
 *
 * @param source the file it came from
 * @param line 1-based line (JSONL) or row number (Parquet)
 * @param raw the raw row, truncated to a few KB
 * @param reason a short code plus detail, e.g. "missing_problem: no 'problem' or 'question' field"
 */
public record RejectedRow(String source, long line, String raw, String reason) {
  public static final int MAX_RAW = 4096;

  public RejectedRow {
    if (raw != null && raw.length() > MAX_RAW) {
      raw = raw.substring(0, MAX_RAW) + "...";
    }
  }
}
