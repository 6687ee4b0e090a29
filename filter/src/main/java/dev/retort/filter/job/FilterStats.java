package dev.retort.filter.job;

import dev.retort.core.data.Verdict;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The counts behind stats.json. Each Spark task fills one, the driver merges them, so the stats
 * cost no extra pass over the data.
 */
public final class FilterStats implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Pass-rate buckets of prompts: none correct, quarters, all correct. */
  static final String[] BUCKETS = {"0", "(0,0.25]", "(0.25,0.5]", "(0.5,0.75]", "(0.75,1)", "1"};

  long traces;
  long accepted;
  long malformed;
  long correct;
  long promptTokens;
  long completionTokens;
  long acceptedCompletionTokens;
  /** source -> {traces, accepted, correct} */
  final Map<String, long[]> bySource = new TreeMap<>();
  final Map<String, Long> byReason = new TreeMap<>();
  long prompts;
  long promptsWithAccepted;
  double passRateSum;
  final long[] passRateBuckets = new long[BUCKETS.length];

  /** Counts one trace's verdict ({@code malformed}: it could not be read as a trace). */
  void add(Verdict v, boolean isMalformed) {
    traces++;
    if (isMalformed) {
      malformed++;
    }
    boolean acc = v.accepted();
    if (acc) {
      accepted++;
      acceptedCompletionTokens += v.trace().completionTokens();
    }
    if (v.correct()) {
      correct++;
    }
    promptTokens += v.trace().promptTokens();
    completionTokens += v.trace().completionTokens();
    String src = v.trace().source() == null || v.trace().source().isBlank() ? "(none)" : v.trace().source();
    long[] s = bySource.computeIfAbsent(src, k -> new long[3]);
    s[0]++;
    if (acc) {
      s[1]++;
    }
    if (v.correct()) {
      s[2]++;
    }
    for (String r : v.reasons()) {
      byReason.merge(r, 1L, Long::sum);
    }
  }

  /** Counts one prompt: its well-formed samples, how many were correct and how many were kept. */
  void addPrompt(int samples, int correctSamples, int acceptedSamples) {
    prompts++;
    if (acceptedSamples > 0) {
      promptsWithAccepted++;
    }
    double rate = samples == 0 ? 0 : (double) correctSamples / samples;
    passRateSum += rate;
    passRateBuckets[bucket(rate)]++;
  }

  static int bucket(double rate) {
    if (rate <= 0) {
      return 0;
    }
    if (rate >= 1) {
      return 5;
    }
    return rate <= 0.25 ? 1 : rate <= 0.5 ? 2 : rate <= 0.75 ? 3 : 4;
  }

  FilterStats merge(FilterStats o) {
    traces += o.traces;
    accepted += o.accepted;
    malformed += o.malformed;
    correct += o.correct;
    promptTokens += o.promptTokens;
    completionTokens += o.completionTokens;
    acceptedCompletionTokens += o.acceptedCompletionTokens;
    o.bySource.forEach((k, v) -> {
      long[] s = bySource.computeIfAbsent(k, x -> new long[3]);
      for (int i = 0; i < s.length; i++) {
        s[i] += v[i];
      }
    });
    o.byReason.forEach((k, v) -> byReason.merge(k, v, Long::sum));
    prompts += o.prompts;
    promptsWithAccepted += o.promptsWithAccepted;
    passRateSum += o.passRateSum;
    for (int i = 0; i < passRateBuckets.length; i++) {
      passRateBuckets[i] += o.passRateBuckets[i];
    }
    return this;
  }

  public long traces() {
    return traces;
  }

  public long accepted() {
    return accepted;
  }

  public long rejected() {
    return traces - accepted;
  }

  public long malformed() {
    return malformed;
  }

  public long prompts() {
    return prompts;
  }

  /** The stats.json document (field meanings in docs/filter.md). */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("traces", traces);
    m.put("accepted", accepted);
    m.put("rejected", traces - accepted);
    m.put("malformed", malformed);
    m.put("correct", correct);
    m.put("accept_rate", rate(accepted, traces));
    m.put("correct_rate", rate(correct, traces));
    Map<String, Object> src = new TreeMap<>();
    bySource.forEach((k, v) -> {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("traces", v[0]);
      s.put("accepted", v[1]);
      s.put("correct", v[2]);
      s.put("accept_rate", rate(v[1], v[0]));
      s.put("correct_rate", rate(v[2], v[0]));
      src.put(k, s);
    });
    m.put("by_source", src);
    Map<String, Object> reasons = new TreeMap<>();
    byReason.forEach((k, v) -> {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("traces", v);
      r.put("share", rate(v, traces));
      reasons.put(k, r);
    });
    m.put("by_reason", reasons);
    Map<String, Object> pr = new LinkedHashMap<>();
    pr.put("prompts", prompts);
    pr.put("prompts_with_accepted", promptsWithAccepted);
    pr.put("mean", prompts == 0 ? 0.0 : passRateSum / prompts);
    Map<String, Object> hist = new LinkedHashMap<>();
    for (int i = 0; i < BUCKETS.length; i++) {
      hist.put(BUCKETS[i], passRateBuckets[i]);
    }
    pr.put("histogram", hist);
    m.put("pass_rate", pr);
    Map<String, Object> tok = new LinkedHashMap<>();
    tok.put("prompt_tokens", promptTokens);
    tok.put("completion_tokens", completionTokens);
    tok.put("accepted_completion_tokens", acceptedCompletionTokens);
    tok.put("mean_completion_tokens", traces == 0 ? 0.0 : (double) completionTokens / traces);
    tok.put("mean_accepted_completion_tokens", accepted == 0 ? 0.0 : (double) acceptedCompletionTokens / accepted);
    m.put("tokens", tok);
    return m;
  }

  private static double rate(long a, long b) {
    return b == 0 ? 0.0 : (double) a / b;
  }
}
