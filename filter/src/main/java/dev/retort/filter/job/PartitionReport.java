package dev.retort.filter.job;

import java.io.Serializable;

/**
 * What one task sends back to the driver: its counts, never its rows, where its time went
 * (judging, writing, the rest = reading and decoding), and a 64-bit hash of the prompt id of each
 * group it judged, so the driver can check that no prompt was judged in two groups. Public:
 * Spark's encoder needs it.
 *
 * @param partition the task's partition (its output files are named after it)
 * @param grouped false when the task met a prompt again after others and stopped (its rows are
 *     not grouped by prompt; it wrote nothing)
 * @param prompts the prompts it judged with their dedup hashes and benchmark fingerprints, for
 *     the driver's prompt screen; null when not asked for
 */
public record PartitionReport(int partition, FilterStats stats, long sftRows, long judgeNanos, long writeNanos, long totalNanos,
    long[] promptHashes, boolean grouped, PromptDigest prompts) implements Serializable {
  private static final long serialVersionUID = 1L;
}
