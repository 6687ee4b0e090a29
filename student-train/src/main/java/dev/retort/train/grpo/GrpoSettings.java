package dev.retort.train.grpo;

import static dev.retort.train.Sections.check;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.io.Json;
import dev.retort.train.Sections;
import dev.retort.train.TrainLoop;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One GRPO run's settings, bound strictly from any config section. The defaults ship as the
 * resource {@value #DEFAULTS_RESOURCE} (not in the module's retort-defaults.conf) and are applied
 * under whatever section is bound, so {@code grpo}, {@code train.grpo} or a pipeline section all
 * start from them. Descriptions of every key are in that resource.
 *
 * @param initFrom the starting policy (HF checkpoint folder); also the KL reference
 * @param steps GRPO steps (sample + score + updates)
 * @param promptsPerStep prompts per step
 * @param groupSize completions sampled per prompt (G)
 * @param maxNewTokens longest completion; a truncated completion scores 0
 * @param temperature sampling temperature; log-probabilities are taken at the same temperature
 * @param topP nucleus sampling (1: off)
 * @param lr peak learning rate
 * @param minLrRatio cosine floor as a fraction of lr
 * @param warmupSteps linear warmup, in GRPO steps
 * @param weightDecay decoupled weight decay of matrices
 * @param clipNorm global gradient-norm limit (0: off)
 * @param clipEps PPO clip range of the importance ratio
 * @param klCoef weight of the k3 KL penalty to the frozen reference (0: no reference loaded)
 * @param updatesPerBatch optimizer updates per sampled batch (mu)
 * @param variant {@link Variant#GRPO} or {@link Variant#DR_GRPO}
 * @param formatReward reward for a well-formed completion (0: off)
 * @param samplingRounds DAPO's dynamic sampling: rounds of prompts sampled per step until
 *     prompts-per-step groups carry signal (1: off, every sampled group is the batch)
 * @param overlongBuffer DAPO's soft overlong punishment: completions longer than
 *     max-new-tokens minus this lose reward linearly, down to -1 at max-new-tokens (0: off)
 * @param seed seeds prompt order and sampling
 * @param checkpointEvery steps between resumable checkpoints (0: only at the end)
 * @param keepCheckpoints resumable checkpoints kept
 * @param snapshots fractions of the run (of budget-flops when set, else of the steps) at which the
 *     policy is also saved as a Hugging Face folder under {@code <out>/snapshots/} (empty: none)
 * @param logEvery steps between progress lines; also the window of the first/last reward means
 * @param promptTemplate user turn with {@value #PROBLEM}
 * @param threads PyTorch intra-op threads (0: all cores)
 * @param microBatch sequences per forward/backward chunk
 * @param lossChunk positions per span of the LM head and the objective (the [rows, len, V] logits
 *     never exist at once; see {@code GrpoObjective.lossAndBackward}); 0: all positions at once
 * @param budgetFlops stop once this many FLOPs are spent
 */
public record GrpoSettings(
    Path initFrom,
    int steps,
    int promptsPerStep,
    int groupSize,
    int maxNewTokens,
    double temperature,
    double topP,
    double lr,
    double minLrRatio,
    int warmupSteps,
    double weightDecay,
    double clipNorm,
    double clipEps,
    double klCoef,
    int updatesPerBatch,
    Variant variant,
    double formatReward,
    int samplingRounds,
    int overlongBuffer,
    long seed,
    int checkpointEvery,
    int keepCheckpoints,
    List<Double> snapshots,
    int logEvery,
    String promptTemplate,
    int threads,
    int microBatch,
    int lossChunk,
    Optional<Double> budgetFlops) {

  /** The conventional section name. */
  public static final String SECTION = "grpo";
  /** Classpath resource holding the defaults, under {@value #SECTION}. */
  public static final String DEFAULTS_RESOURCE = "dev/retort/train/grpo/grpo-defaults.conf";
  /** Placeholder of the problem text in {@link #promptTemplate}. */
  public static final String PROBLEM = "{problem}";

  /** Keys that change how a run is observed or stored, not the weights it produces. */
  static final Set<String> NOT_HASHED = Set.of("checkpoint-every", "keep-checkpoints", "snapshots", "log-every", "threads",
      "loss-chunk");
  // "loss-chunk" changes float rounding only, not the computation.

  /** How advantages and the per-token loss are normalized. */
  public enum Variant {
    /** DeepSeekMath: A = (r - mean) / std per group; mean over each completion's tokens, then over completions. */
    GRPO,
    /** Dr. GRPO (Liu et al. 2025): A = r - mean; token sums divided by the constant max-new-tokens. */
    DR_GRPO
  }

  public GrpoSettings {
    check(initFrom != null && !initFrom.toString().isBlank(), "init-from", "is required (a checkpoint folder)");
    check(steps >= 1, "steps", "must be at least 1, got " + steps);
    check(promptsPerStep >= 1, "prompts-per-step", "must be at least 1, got " + promptsPerStep);
    check(groupSize >= 2, "group-size", "must be at least 2 (advantages compare samples within a group), got " + groupSize);
    check(maxNewTokens >= 1, "max-new-tokens", "must be at least 1, got " + maxNewTokens);
    check(temperature > 0 && Double.isFinite(temperature), "temperature",
        "must be positive (GRPO needs diverse samples; greedy groups are all equal), got " + temperature);
    check(topP > 0 && topP <= 1, "top-p", "must be in (0, 1], got " + topP);
    check(lr > 0, "lr", "must be positive, got " + lr);
    check(minLrRatio >= 0 && minLrRatio <= 1, "min-lr-ratio", "must be in [0, 1], got " + minLrRatio);
    check(warmupSteps >= 0, "warmup-steps", "must be >= 0, got " + warmupSteps);
    check(weightDecay >= 0, "weight-decay", "must be >= 0, got " + weightDecay);
    check(clipNorm >= 0, "clip-norm", "must be >= 0 (0: off), got " + clipNorm);
    check(clipEps > 0 && clipEps < 1, "clip-eps", "must be in (0, 1), got " + clipEps);
    check(klCoef >= 0, "kl-coef", "must be >= 0, got " + klCoef);
    check(updatesPerBatch >= 1, "updates-per-batch", "must be at least 1, got " + updatesPerBatch);
    check(variant != null, "variant", "must be grpo or dr-grpo");
    check(formatReward >= 0, "format-reward", "must be >= 0 (0: off), got " + formatReward);
    check(samplingRounds >= 1, "sampling-rounds", "must be at least 1 (1: no dynamic sampling), got " + samplingRounds);
    check(overlongBuffer >= 0 && overlongBuffer < maxNewTokens, "overlong-buffer",
        "must be in [0, max-new-tokens) (0: off), got " + overlongBuffer);
    snapshots = TrainLoop.checkLoopSettings(checkpointEvery, keepCheckpoints, snapshots, "the run", logEvery);
    check(promptTemplate != null && promptTemplate.contains(PROBLEM), "prompt-template",
        "must contain " + PROBLEM + ", got: " + promptTemplate);
    check(threads >= 0, "threads", "must be >= 0 (0: all cores), got " + threads);
    check(microBatch >= 1, "micro-batch", "must be at least 1, got " + microBatch);
    check(lossChunk >= 0, "loss-chunk", "must be >= 0 (0: no chunking), got " + lossChunk);
    budgetFlops = budgetFlops == null ? Optional.empty() : budgetFlops;
    check(budgetFlops.map(b -> b > 0).orElse(true), "budget-flops", "must be positive or null, got " + budgetFlops.orElse(null));
  }

  /** Binds the {@value #SECTION} section. */
  public static GrpoSettings from(RetortConfig config) {
    return from(config, SECTION);
  }

  /**
   * Binds the section at {@code path} (which may be absent: then only the defaults apply, and
   * init-from is reported missing) with the defaults resource underneath it, as TrainSettings
   * binds its sections ({@link Sections#bind}).
   *
   * @throws ConfigError naming {@code path.key} for unknown keys, wrong types, bad values
   */
  public static GrpoSettings from(RetortConfig config, String path) {
    return Sections.bind(config, path, GrpoSettings.class, DEFAULTS_RESOURCE, SECTION);
  }

  /** The defaults plus {@code overrides} ("key=value" under {@value #SECTION}); for tests and tools. */
  public static GrpoSettings defaults(String... overrides) {
    return from(RetortConfig.defaults(Sections.under(SECTION, overrides)));
  }

  /** The user turn for a problem. */
  public String userText(String problem) {
    return promptTemplate.replace(PROBLEM, problem);
  }

  /**
   * DAPO's soft overlong punishment of a completion of {@code length} tokens: 0 up to
   * max-new-tokens - overlong-buffer, then rising linearly to 1 at max-new-tokens (0 when off).
   */
  public double overlongPenalty(int length) {
    int free = maxNewTokens - overlongBuffer;
    if (overlongBuffer == 0 || length <= free) {
      return 0;
    }
    return Math.min(1.0, (double) (length - free) / overlongBuffer);
  }

  /** Completions sampled per step. */
  public int sequencesPerStep() {
    return promptsPerStep * groupSize;
  }

  /** Kebab-case map of every setting (stored in provenance). */
  public Map<String, Object> toMap() {
    Map<String, Object> out = Sections.toMap(this);
    out.put("variant", variant.name().toLowerCase(Locale.ROOT).replace('_', '-')); // as the config spells it
    return out;
  }

  /** Hash of the settings that determine the weights (not logging, threads or checkpoint cadence). */
  public String weightsHash() {
    Map<String, Object> m = new LinkedHashMap<>(toMap());
    NOT_HASHED.forEach(m::remove);
    m.remove("init-from"); // identified by content, not by path (see GrpoTrainer)
    return RetortConfig.sha256(Json.toJson(m));
  }

  /** A copy with another step count (the budget matcher and tests use it). */
  public GrpoSettings withSteps(int newSteps) {
    return new GrpoSettings(initFrom, newSteps, promptsPerStep, groupSize, maxNewTokens, temperature, topP, lr,
        minLrRatio, warmupSteps, weightDecay, clipNorm, clipEps, klCoef, updatesPerBatch, variant, formatReward, samplingRounds, overlongBuffer, seed,
        checkpointEvery, keepCheckpoints, snapshots, logEvery, promptTemplate, threads, microBatch, lossChunk, budgetFlops);
  }

  /** A copy with a FLOP budget (null: none). */
  public GrpoSettings withBudgetFlops(Double flops) {
    return new GrpoSettings(initFrom, steps, promptsPerStep, groupSize, maxNewTokens, temperature, topP, lr,
        minLrRatio, warmupSteps, weightDecay, clipNorm, clipEps, klCoef, updatesPerBatch, variant, formatReward, samplingRounds, overlongBuffer, seed,
        checkpointEvery, keepCheckpoints, snapshots, logEvery, promptTemplate, threads, microBatch, lossChunk, Optional.ofNullable(flops));
  }

  /** A copy with another seed (the study runs each arm under several). */
  public GrpoSettings withSeed(long newSeed) {
    return new GrpoSettings(initFrom, steps, promptsPerStep, groupSize, maxNewTokens, temperature, topP, lr,
        minLrRatio, warmupSteps, weightDecay, clipNorm, clipEps, klCoef, updatesPerBatch, variant, formatReward,
        samplingRounds, overlongBuffer, newSeed, checkpointEvery, keepCheckpoints, snapshots, logEvery, promptTemplate, threads,
        microBatch, lossChunk, budgetFlops);
  }

  /** A copy starting from another checkpoint. */
  public GrpoSettings withInitFrom(Path dir) {
    return new GrpoSettings(dir, steps, promptsPerStep, groupSize, maxNewTokens, temperature, topP, lr,
        minLrRatio, warmupSteps, weightDecay, clipNorm, clipEps, klCoef, updatesPerBatch, variant, formatReward, samplingRounds, overlongBuffer, seed,
        checkpointEvery, keepCheckpoints, snapshots, logEvery, promptTemplate, threads, microBatch, lossChunk, budgetFlops);
  }
}
