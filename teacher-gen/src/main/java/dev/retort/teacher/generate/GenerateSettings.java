package dev.retort.teacher.generate;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.datasets.PromptColumns;
import dev.retort.core.store.Location;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code generate} section: which prompts, how many samples, how they are sampled and how the
 * output is cut into atomic shards. Defaults live in teacher-gen's {@code retort-defaults.conf}.
 *
 * @param prompts "arith" (the arith train split from the {@code arith} section) or a prompt file/folder
 * @param layout the prompt file's layout (auto, math500, gsm8k, aime, messages, prompt, generic)
 * @param promptColumns the prompt file's column for each field, where they are not the layout's names
 * @param promptSplit the split read from a Hugging Face datasets folder ({@code data/<split>-*.parquet})
 * @param template the user turn; {@code {problem}} is replaced by the prompt's problem
 * @param samplesPerPrompt N: traces per prompt, sample indices 0..N-1
 * @param temperature sampling temperature (0 = greedy)
 * @param topP nucleus sampling mass
 * @param topK 0 = off (then not sent)
 * @param maxTokens completion budget per sample
 * @param seed base seed; each sample's seed is derived from (seed, prompt id, sample index)
 * @param shards S: prompt ids are bucketed by hash(id) mod S; a shard is the unit of commit
 * @param sparkMaster Spark master when the job creates the session (local[2] embedded)
 * @param maxPromptChars prompts with a longer problem are rejected as oversize
 * @param limit use only the first N prompts (0 = all)
 * @param output traces folder, a local path or URI (default: the run layout's traces/; prompts/ is written only then)
 * @param overwrite when traces/ was made with a different config: true deletes it, false fails
 * @param progressInterval how often progress is logged
 * @param stop extra stop strings sent with every request
 */
public record GenerateSettings(
    String prompts,
    String layout,
    PromptColumns promptColumns,
    String promptSplit,
    String template,
    int samplesPerPrompt,
    double temperature,
    double topP,
    int topK,
    int maxTokens,
    long seed,
    int shards,
    String sparkMaster,
    int maxPromptChars,
    int limit,
    Optional<Location> output,
    boolean overwrite,
    Duration progressInterval,
    List<String> stop) {
  public static final String SECTION = "generate";
  public static final String PROBLEM = "{problem}";

  public GenerateSettings {
    require(prompts != null && !prompts.isBlank(), "generate.prompts must be \"arith\" or a prompt file");
    require(promptSplit != null && !promptSplit.isBlank(), "generate.prompt-split must name a split, e.g. train");
    promptColumns = promptColumns == null ? PromptColumns.DEFAULT : promptColumns;
    require(template != null && template.contains(PROBLEM), "generate.template must contain " + PROBLEM);
    require(samplesPerPrompt >= 1, "generate.samples-per-prompt must be >= 1");
    require(temperature >= 0, "generate.temperature must be >= 0");
    require(topP > 0 && topP <= 1, "generate.top-p must be in (0, 1]");
    require(topK >= 0, "generate.top-k must be >= 0");
    require(maxTokens >= 1, "generate.max-tokens must be >= 1");
    require(shards >= 1 && shards <= 100_000, "generate.shards must be in 1..100000");
    require(maxPromptChars >= 1, "generate.max-prompt-chars must be >= 1");
    require(limit >= 0, "generate.limit must be >= 0");
    stop = stop == null ? List.of() : List.copyOf(stop);
  }

  public boolean arith() {
    return "arith".equals(prompts.trim());
  }

  /** The user turn for a problem. */
  public String render(String problem) {
    return template.replace(PROBLEM, problem);
  }

  public static GenerateSettings from(RetortConfig config) {
    return config.section(SECTION, GenerateSettings.class);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
