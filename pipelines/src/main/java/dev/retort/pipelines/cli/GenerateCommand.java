package dev.retort.pipelines.cli;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.io.Json;
import dev.retort.teacher.generate.GenerateJob;
import dev.retort.teacher.generate.GenerateResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort generate [--config FILE] [--set k=v]... [--input PROMPTS] [--output TRACES]}: the
 * teacher-generation Spark job. Exactly once per (prompt, sample): a rerun after a crash or kill
 * does only what is missing, and retries the samples in traces/errors/. Prints a JSON summary on
 * stdout; exits 1 while error rows remain (a rerun retries them), 2 on config errors.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = {"Generate reasoning traces from a teacher (Spark job over an OpenAI-compatible pool or an in-process checkpoint).",
        "Writes traces/shard-*.parquet, traces/errors/, traces/rejects/, stats.json, provenance.json, _SUCCESS."})
public final class GenerateCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "HOCON config (sections run, teacher, generate, arith); defaults when absent.")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override a config value (repeatable), e.g. teacher.endpoints=[\"http://gpu-1:8000/v1\"].")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--input", paramLabel = "PATH", description = "Prompt file or folder, or 'arith' (sets generate.prompts).")
  String input;

  @Option(names = "--output", paramLabel = "DIR", description = "Traces folder, a path or URI (sets generate.output; default <run.work-dir>/<run.run-id>/traces).")
  String output;

  @Override
  public Integer call() {
    List<String> sets = new ArrayList<>(overrides);
    if (input != null) {
      sets.add("generate.prompts=" + Json.toJson(input));
    }
    if (output != null) {
      sets.add("generate.output=" + Json.toJson(output.toString()));
    }
    RetortConfig cfg = RetortConfig.load(config, sets);
    cfg.checkSections(dev.retort.pipelines.run.EmbeddedPipeline.knownSections());
    GenerateResult r = GenerateJob.run(cfg);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("output", r.traces().toString());
    summary.put("skipped", r.skipped());
    summary.put("prompts", r.prompts());
    summary.put("rejects", r.rejects());
    summary.put("expected", r.expected());
    summary.put("succeeded", r.succeeded());
    summary.put("errors", r.errors());
    summary.put("completed", r.completedFraction());
    summary.put("requests", r.requests());
    summary.put("retries", Math.max(0, r.attempts() - r.requests()));
    summary.put("completion_tokens", r.completionTokens());
    summary.put("seconds", Math.round(r.seconds() * 100) / 100.0);
    System.out.println(Json.toJson(summary));
    if (r.errors() > 0) {
      System.err.println("retort generate: " + r.errors() + " samples failed after retries (see " + r.traces().resolve("errors")
          + "); run the same command again to retry them");
      return 1;
    }
    return 0;
  }
}
