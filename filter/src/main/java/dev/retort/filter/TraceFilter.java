package dev.retort.filter;

import dev.retort.core.data.Trace;
import java.util.Optional;

/**
 * One quality check on one trace, independent of the other traces: the reason code when the
 * trace fails it, empty when it passes. Implementations are stateless and thread-safe.
 */
@FunctionalInterface
public interface TraceFilter {
  Optional<String> reject(Trace trace);
}
