package dev.retort.eval;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code eval} section (defaults in this module's retort-defaults.conf; docs/eval.md lists
 * every key). Benchmarks and models are lists, and HOCON gives list items no defaults, so each
 * benchmark's protocol keys are optional and fall back to {@link #protocol}.
 *
 * @param models the models to evaluate, side by side
 * @param benchmarks the benchmarks every model runs
 * @param protocol sampling protocol shared by benchmarks that do not override it (R1's by default)
 * @param seed base seed of per-sample seeds; absent means {@code run.seed}
 * @param batchSize prompts per forward batch of a local checkpoint; concurrent requests for endpoints
 * @param chunkSize samples per Parquet chunk: the most work a failure can lose
 * @param spark distribute problems over Spark executors
 * @param sparkMaster master URL when this JVM starts Spark itself (spark-submit's wins)
 * @param sparkPartitions tasks per (model, benchmark); 0 means one per chunk
 * @param device "cpu", "gpu" or "auto" (gpu when the engine sees one), for local checkpoints
 * @param reportDir where the report goes; absent means {@code <run>/report}
 * @param trainingMetrics model name to a trainer's metrics.jsonl, plotted as training curves
 * @param title report heading
 */
public record EvalSettings(
    List<ModelSpec> models,
    List<BenchmarkSpec> benchmarks,
    Protocol protocol,
    Optional<Long> seed,
    int batchSize,
    int chunkSize,
    boolean spark,
    String sparkMaster,
    int sparkPartitions,
    String device,
    Optional<Path> reportDir,
    Map<String, String> trainingMetrics,
    String title) {

  public static final String SECTION = "eval";

  public EvalSettings {
    if (batchSize < 1) {
      throw new ConfigError("eval.batch-size", null, "must be >= 1, got " + batchSize);
    }
    if (chunkSize < 1) {
      throw new ConfigError("eval.chunk-size", null, "must be >= 1, got " + chunkSize);
    }
    if (!Set.of("cpu", "gpu", "auto").contains(device)) {
      throw new ConfigError("eval.device", null, "expected cpu, gpu or auto, got '" + device + "'");
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < models.size(); i++) {
      if (!names.add(models.get(i).name())) {
        throw new ConfigError("eval.models[" + i + "].name", null, "repeated model name '" + models.get(i).name() + "'");
      }
    }
    names.clear();
    for (int i = 0; i < benchmarks.size(); i++) {
      if (!names.add(benchmarks.get(i).name())) {
        throw new ConfigError("eval.benchmarks[" + i + "].name", null, "repeated benchmark name '" + benchmarks.get(i).name() + "'");
      }
    }
  }

  public static EvalSettings from(RetortConfig config) {
    return config.section(SECTION, EvalSettings.class);
  }

  /**
   * Sampling and prompting protocol. R1's evaluation protocol: temperature 0.6, top-p 0.95,
   * several samples per problem, pass@1 as their mean.
   *
   * @param template the user turn; {@code {problem}} is replaced by the problem text.
   *     {@code r1} = the problem, a newline, then DeepSeek-R1's "Please reason step by step, and
   *     put your final answer within \boxed{}."; {@code plain} = the problem alone
   * @param k samples per problem; pass@k, maj@k use this k and pass@1 averages over the k samples
   * @param maxTokens completion budget per sample
   * @param limit evaluate only the first {@code limit} problems (0 = all)
   */
  public record Protocol(String template, double temperature, double topP, int topK, int k, int maxTokens, int limit)
      implements java.io.Serializable {
    public Protocol {
      if (k < 1) {
        throw new IllegalArgumentException("k must be >= 1, got " + k);
      }
      if (maxTokens < 1) {
        throw new IllegalArgumentException("max-tokens must be >= 1, got " + maxTokens);
      }
      if (limit < 0) {
        throw new IllegalArgumentException("limit must be >= 0, got " + limit);
      }
      if (temperature < 0 || !(topP > 0 && topP <= 1) || topK < 0) {
        throw new IllegalArgumentException("need temperature >= 0, top-p in (0, 1], top-k >= 0; got "
            + temperature + ", " + topP + ", " + topK);
      }
      PromptTemplate.of(template); // fails early on a template without {problem}
    }
  }

  /**
   * One model under test: exactly one of {@code checkpoint} and {@code endpoint}.
   *
   * @param name folder name under {@code eval/} and the label in the report
   * @param checkpoint HF-layout folder; a relative path that does not exist is tried under
   *     {@code <run>/models/}
   * @param endpoint base URL of an OpenAI-compatible server (e.g. {@code http://host:8000/v1})
   * @param servedModel the model name sent to the endpoint; defaults to {@code name}
   * @param apiKeyEnv environment variable holding the endpoint's API key (the key is never logged)
   * @param role teacher, distilled, rl, base, ... (free text, shown in the report)
   */
  public record ModelSpec(String name, Optional<String> checkpoint, Optional<String> endpoint,
      Optional<String> servedModel, Optional<String> apiKeyEnv, Optional<String> role) {
    public ModelSpec {
      if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
        throw new IllegalArgumentException("model name must be a plain folder name ([A-Za-z0-9._-]+), got '" + name + "'");
      }
      if (checkpoint.isPresent() == endpoint.isPresent()) {
        throw new IllegalArgumentException("model '" + name + "' needs exactly one of 'checkpoint' and 'endpoint'");
      }
    }

    public String roleOrDefault() {
      return role.orElse(checkpoint.isPresent() ? "checkpoint" : "endpoint");
    }
  }

  /**
   * One benchmark; unset protocol keys come from {@code eval.protocol}.
   *
   * @param name folder name under {@code eval/<model>/} and the label in the report
   * @param file a JSONL or Parquet file (MATH-500, GSM8K, AIME or any problem/answer rows), or
   *     {@code arith} for the arith held-out split of the {@code arith} section; absent means
   *     {@code arith} when the name is {@code arith}
   * @param layout PromptReaders layout: auto, math500, gsm8k, aime, messages, prompt, generic
   */
  public record BenchmarkSpec(String name, Optional<String> file, Optional<String> layout,
      Optional<String> template, Optional<Double> temperature, Optional<Double> topP, Optional<Integer> topK,
      Optional<Integer> k, Optional<Integer> maxTokens, Optional<Integer> limit) {
    public BenchmarkSpec {
      if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
        throw new IllegalArgumentException("benchmark name must be a plain folder name ([A-Za-z0-9._-]+), got '" + name + "'");
      }
      if (file.isEmpty() && !name.equals("arith")) {
        throw new IllegalArgumentException("benchmark '" + name + "' needs 'file' (a JSONL/Parquet path or \"arith\")");
      }
    }

    public String source() {
      return file.orElse("arith");
    }

    /** This benchmark's protocol: its own keys over the shared defaults. */
    public Protocol protocol(Protocol defaults) {
      return new Protocol(template.orElse(defaults.template()), temperature.orElse(defaults.temperature()),
          topP.orElse(defaults.topP()), topK.orElse(defaults.topK()), k.orElse(defaults.k()),
          maxTokens.orElse(defaults.maxTokens()), limit.orElse(defaults.limit()));
    }
  }
}
