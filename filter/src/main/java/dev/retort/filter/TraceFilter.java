package dev.retort.filter;

import dev.retort.core.data.Trace;
import java.util.Optional;

/**
 * One quality check on one trace, independent of the other traces: the reason code when the
 * trace fails it, empty when it passes. A check may keep scratch state between calls (a cache of
 * the last problem's script, a reusable counter), so an instance serves one thread; each task
 * builds its own ({@link QualityFilters#from}).
 */
@FunctionalInterface
public interface TraceFilter {
  Optional<String> reject(Trace trace);
}
