package dev.retort.filter.job;

import dev.retort.core.store.Location;
import java.util.Map;

/**
 * What a filter run produced.
 *
 * @param output the filtered/ folder
 * @param skipped true when the output was already complete for this config and input (nothing ran)
 * @param traces trace rows read (malformed ones included)
 * @param accepted rows in accepted/ (= rows in sft/)
 * @param rejected rows in rejected/
 * @param malformed rejected rows that could not be read as traces
 * @param prompts distinct prompts with at least one well-formed trace
 * @param configHash the hash in _SUCCESS
 * @param seconds wall time of the run
 * @param stats the stats.json document
 */
public record FilterResult(Location output, boolean skipped, long traces, long accepted, long rejected, long malformed,
    long prompts, String configHash, double seconds, Map<String, Object> stats) {}
