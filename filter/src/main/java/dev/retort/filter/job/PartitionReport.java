package dev.retort.filter.job;

import java.io.Serializable;

/**
 * What one task sends back to the driver: its counts, never its rows, where its time went
 * (judging, writing, the rest = reading and decoding), and a 64-bit hash of the prompt id of each
 * group it judged, so the driver can check that no prompt was judged in two groups. Public:
 * Spark's encoder needs it.
 */
public record PartitionReport(FilterStats stats, long sftRows, long judgeNanos, long writeNanos, long totalNanos,
    long[] promptHashes) implements Serializable {
  private static final long serialVersionUID = 1L;
}
