package dev.retort.filter;

import dev.retort.core.data.Completions;
import dev.retort.core.data.Trace;
import dev.retort.filter.text.Repetition;
import dev.retort.filter.text.ScriptMix;
import dev.retort.filter.text.TokenCache;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The per-trace quality filters after DeepSeek-R1's SFT data curation: generation errors,
 * truncation (finish reason {@code length}), missing or unclosed reasoning, length bounds,
 * language mixing and endless repetition. Every failing filter adds its reason, so stats show all
 * the problems of a trace, not just the first. Answer format and correctness need the verifier
 * and are judged by {@link TraceJudge}.
 */
public final class QualityFilters {
  private final List<TraceFilter> filters;
  private final TokenCache tokens;

  public QualityFilters(List<TraceFilter> filters) {
    this(filters, new TokenCache());
  }

  private QualityFilters(List<TraceFilter> filters, TokenCache tokens) {
    this.filters = List.copyOf(filters);
    this.tokens = tokens;
  }

  /** The filters a {@code filter} section asks for, in the order their reasons are reported. Not thread-safe. */
  public static QualityFilters from(FilterSettings s) {
    TokenCache tokens = new TokenCache();
    List<TraceFilter> f = new ArrayList<>();
    f.add(t -> t.error() != null ? Optional.of(Reasons.GENERATION_ERROR) : Optional.empty());
    f.add(t -> "length".equals(t.finishReason()) ? Optional.of(Reasons.TRUNCATED) : Optional.empty());
    f.add(QualityFilters::reasoningTags);
    f.add(t -> {
      String r = t.reasoning();
      if (r == null || r.isBlank()) {
        return Optional.empty(); // missing_reasoning says it already
      }
      int len = r.strip().length();
      if (len < s.minReasoningChars()) {
        return Optional.of(Reasons.REASONING_TOO_SHORT);
      }
      return len > s.maxReasoningChars() ? Optional.of(Reasons.REASONING_TOO_LONG) : Optional.empty();
    });
    if (s.maxCompletionTokens() > 0) {
      f.add(t -> t.completionTokens() > s.maxCompletionTokens() ? Optional.of(Reasons.TOO_MANY_TOKENS) : Optional.empty());
    }
    if (s.maxMixedScriptShare() <= 1) {
      ProblemScript script = new ProblemScript();
      f.add(t -> {
        if (t.reasoning() == null) {
          return Optional.empty();
        }
        double share = ScriptMix.foreignShare(t.reasoning(), script.of(t.problem()));
        return share > s.maxMixedScriptShare() ? Optional.of(Reasons.LANGUAGE_MIXING) : Optional.empty();
      });
    }
    if (s.maxRepeatedShare() <= 1) {
      int n = s.repetitionNgram();
      Repetition.Counter counter = new Repetition.Counter();
      f.add(t -> {
        if (t.reasoning() == null) {
          return Optional.empty();
        }
        double share = counter.repeatedShare(tokens.tokenHashes(t.reasoning()), n);
        return share > s.maxRepeatedShare() ? Optional.of(Reasons.REPETITION) : Optional.empty();
      });
    }
    return new QualityFilters(f, tokens);
  }

  /** The dominant script of the last problem, by identity: a prompt's samples share one problem string. */
  private static final class ProblemScript {
    private String problem;
    private Character.UnicodeScript script;

    Character.UnicodeScript of(String p) {
      if (p != problem || problem == null) {
        problem = p;
        script = ScriptMix.dominantScript(p);
      }
      return script;
    }
  }

  /** The token hashes of a text, shared with the filters (the same reasoning is tokenized once). */
  public long[] tokenHashes(String text) {
    return tokens.tokenHashes(text);
  }

  /** Every reason the trace fails, in filter order; empty = passes all. */
  public List<String> reasons(Trace t) {
    List<String> out = new ArrayList<>(2);
    for (TraceFilter f : filters) {
      f.reject(t).ifPresent(out::add);
    }
    return out;
  }

  /**
   * Reasoning must exist and be closed. A think block that was opened and never closed (the
   * teacher client then stores no reasoning and the raw text as the answer, or a split left a tag
   * behind) is "unclosed"; no reasoning at all is "missing".
   */
  static Optional<String> reasoningTags(Trace t) {
    String r = t.reasoning();
    String a = t.answer() == null ? "" : t.answer();
    boolean strayOpen = a.contains(Completions.THINK_OPEN) || (r != null && r.contains(Completions.THINK_OPEN));
    if (strayOpen || a.contains(Completions.THINK_CLOSE) && (r == null || r.isBlank())) {
      return Optional.of(Reasons.UNCLOSED_REASONING);
    }
    if (r == null || r.isBlank()) {
      return Optional.of(Reasons.MISSING_REASONING);
    }
    return Optional.empty();
  }
}
