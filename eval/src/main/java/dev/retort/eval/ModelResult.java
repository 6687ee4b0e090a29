package dev.retort.eval;

/**
 * One row of the report: a model's metrics on one benchmark.
 *
 * @param model the model's name
 * @param role teacher, distilled, rl, base, ...
 * @param identity checkpoint content hash or endpoint and served name
 * @param benchmark the benchmark's name
 * @param protocol the template and sampling settings the samples were drawn with
 * @param metrics pass@k, maj@k, lengths; null when no problem has all k samples yet
 * @param samples samples found for the benchmark's problems
 * @param expected problems x k
 */
public record ModelResult(String model, String role, String identity, String benchmark,
    EvalSettings.Protocol protocol, MetricsSummary metrics, int samples, int expected) {
  public boolean complete() {
    return metrics != null && samples == expected;
  }

  public int k() {
    return protocol.k();
  }
}
