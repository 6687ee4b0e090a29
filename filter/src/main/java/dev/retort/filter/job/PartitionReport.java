package dev.retort.filter.job;

import java.io.Serializable;

/**
 * What one task sends back to the driver: its counts, never its rows, and where its time went
 * (judging, writing, the rest = reading the shuffle and decoding). Public: Spark's encoder needs it.
 */
public record PartitionReport(FilterStats stats, long sftRows, long judgeNanos, long writeNanos, long totalNanos) implements Serializable {
  private static final long serialVersionUID = 1L;
}
