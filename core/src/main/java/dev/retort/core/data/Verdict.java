package dev.retort.core.data;

import java.util.List;

/**
 * The filter's decision on one trace.
 *
 * @param correct whether the final answer matched the reference
 * @param extracted the final answer the verifier extracted (null when none)
 * @param reasons rejection reason codes; empty means accepted
 */
public record Verdict(Trace trace, boolean correct, String extracted, List<String> reasons) {
  public Verdict {
    reasons = reasons == null ? List.of() : List.copyOf(reasons);
  }

  public boolean accepted() {
    return reasons.isEmpty();
  }
}
