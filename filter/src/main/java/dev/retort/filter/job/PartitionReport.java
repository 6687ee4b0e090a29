package dev.retort.filter.job;

import java.io.Serializable;

/** What one task sends back to the driver: its counts, never its rows (public: Spark's encoder needs it). */
public record PartitionReport(FilterStats stats, long sftRows) implements Serializable {
  private static final long serialVersionUID = 1L;
}
