package dev.retort.filter;

import dev.retort.core.config.RetortConfig;
import java.io.Serializable;
import java.util.List;

/**
 * The {@code filter} section (defaults in this module's retort-defaults.conf; unknown keys are
 * errors). Serializable because the Spark job ships it to its tasks.
 *
 * @param requireCorrect reject traces whose final answer the verifier does not accept (R1 kept only correct ones)
 * @param minReasoningChars shortest reasoning kept, in characters
 * @param maxReasoningChars longest reasoning kept, in characters
 * @param maxCompletionTokens most completion tokens a kept trace may use; 0 = no limit
 * @param repetitionNgram words per n-gram for the repetition check
 * @param maxRepeatedShare highest share of repeated word n-grams in the reasoning; above 1 = off
 * @param maxMixedScriptShare highest share of reasoning letters outside the problem's script; above 1 = off
 * @param keepPerPrompt keep at most this many accepted traces per prompt; 0 = all
 * @param preferShorter when choosing which traces to keep, prefer fewer completion tokens (else lower sample index)
 * @param dedupPrompts reject exact and near-duplicate prompts across the input (the smallest id is kept)
 * @param dedupTraces reject exact and near-duplicate traces among one prompt's traces
 * @param minhash near-duplicate detection parameters
 * @param decontamination benchmark overlap parameters
 * @param partitions Spark partitions (= output shards) the traces are grouped into; 0 = one per core
 *     of the session ({@link #partitionsFor})
 * @param sparkMaster Spark master when the job creates the SparkSession
 * @param verifyTimeoutMs time limit of one answer verification
 * @param promptTemplate the user turn the teacher saw, {@code {problem}} replaced by the problem (the SFT prompt)
 * @param sftFormat which columns of the SFT view are filled (prompt and completion always are)
 */
public record FilterSettings(
    boolean requireCorrect,
    int minReasoningChars,
    int maxReasoningChars,
    int maxCompletionTokens,
    int repetitionNgram,
    double maxRepeatedShare,
    double maxMixedScriptShare,
    int keepPerPrompt,
    boolean preferShorter,
    boolean dedupPrompts,
    boolean dedupTraces,
    MinHash minhash,
    Decontamination decontamination,
    int partitions,
    String sparkMaster,
    long verifyTimeoutMs,
    String promptTemplate,
    SftFormat sftFormat) implements Serializable {
  public static final String SECTION = "filter";
  public static final String PROBLEM_SLOT = "{problem}";
  private static final long serialVersionUID = 1L;

  public FilterSettings {
    require(minReasoningChars >= 0, "min-reasoning-chars must be >= 0");
    require(maxReasoningChars >= minReasoningChars, "max-reasoning-chars must be >= min-reasoning-chars");
    require(maxCompletionTokens >= 0, "max-completion-tokens must be >= 0 (0 = no limit)");
    require(repetitionNgram >= 1, "repetition-ngram must be >= 1");
    require(maxRepeatedShare >= 0, "max-repeated-share must be >= 0");
    require(maxMixedScriptShare >= 0, "max-mixed-script-share must be >= 0");
    require(keepPerPrompt >= 0, "keep-per-prompt must be >= 0 (0 = all)");
    require(partitions >= 0, "partitions must be >= 0 (0 = one per core)");
    require(verifyTimeoutMs >= 1, "verify-timeout-ms must be >= 1");
    require(promptTemplate != null && promptTemplate.contains(PROBLEM_SLOT), "prompt-template must contain " + PROBLEM_SLOT);
    require(minhash != null, "minhash section is required");
    require(decontamination != null, "decontamination section is required");
    require(sftFormat != null, "sft-format is required");
  }

  /**
   * The partitions the job judges in, on a session with {@code cores} cores: the setting, or with
   * 0 one per core, so every core gets one task and the pass ends in one wave (with two tasks per
   * core, the second wave waited on the first's stragglers and on each task's start-up).
   */
  public int partitionsFor(int cores) {
    return partitions > 0 ? partitions : Math.max(1, cores);
  }

  /**
   * The columns of the SFT view beyond the required prompt and completion. Each format holds the
   * reasoning once or more; the filter writes every accepted trace into it, so each extra copy adds
   * to the filter's output bytes and write time, and a user picks the ones their trainer reads.
   */
  public enum SftFormat {
    /** prompt, completion (TRL's prompt-completion format; student-train splits the completion). */
    PROMPT_COMPLETION,
    /** prompt, completion and messages (TRL's conversational format). */
    MESSAGES,
    /** every column: prompt, reasoning, answer, completion, messages. */
    ALL
  }

  /**
   * @param numPerm MinHash signature length
   * @param bands LSH bands; must divide num-perm (rows per band = num-perm / bands)
   * @param shingle words per shingle
   * @param promptJaccard similarity at which two prompts are near-duplicates; above 1 = exact dedup only
   * @param traceJaccard similarity at which two traces of one prompt are near-duplicates; above 1 = exact only
   */
  public record MinHash(int numPerm, int bands, int shingle, double promptJaccard, double traceJaccard) implements Serializable {
    private static final long serialVersionUID = 1L;

    public MinHash {
      require(numPerm >= 1, "minhash.num-perm must be >= 1");
      require(bands >= 1 && numPerm % bands == 0, "minhash.bands must divide minhash.num-perm");
      require(shingle >= 1, "minhash.shingle must be >= 1");
      require(promptJaccard > 0 && traceJaccard > 0, "minhash jaccard thresholds must be > 0");
    }
  }

  /**
   * @param ngram words per n-gram (DeepSeek-R1: 10, open-r1: 8)
   * @param benchmarkDir every *.jsonl and *.parquet in it is a benchmark; skipped with a warning when absent
   * @param benchmarks further benchmark files or folders; each must exist
   * @param arithTest also check against the arith test split (the {@code arith} section, run seed)
   */
  public record Decontamination(int ngram, String benchmarkDir, List<String> benchmarks, boolean arithTest) implements Serializable {
    private static final long serialVersionUID = 1L;

    public Decontamination {
      require(ngram >= 1, "decontamination.ngram must be >= 1");
      benchmarks = benchmarks == null ? List.of() : List.copyOf(benchmarks);
    }
  }

  public static FilterSettings from(RetortConfig config) {
    return config.section(SECTION, FilterSettings.class);
  }

  /** The user turn for a problem, as the teacher saw it. */
  public String userPrompt(String problem) {
    return promptTemplate.replace(PROBLEM_SLOT, problem == null ? "" : problem);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
