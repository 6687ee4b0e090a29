package dev.retort.pipelines.cli;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.io.Json;
import dev.retort.core.run.RunLayout;
import dev.retort.filter.job.FilterJob;
import dev.retort.filter.job.FilterResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort filter [--config FILE] [--set k=v]... [--input TRACES] [--output FILTERED]}: the
 * filter stage (verification, quality filters, dedup, decontamination) as a Spark job. Reads
 * {@code <work-dir>/<run-id>/traces} and writes {@code .../filtered} unless told otherwise; a
 * rerun with the same config and input does nothing. Prints a JSON summary on stdout.
 */
@Command(name = "filter", mixinStandardHelpOptions = true,
    description = {"Verify, filter, dedup and decontaminate traces (Spark job).",
        "Writes filtered/{accepted,rejected,sft,prompt_stats}, stats.json, provenance.json, _SUCCESS."})
public final class FilterCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "HOCON config (sections run, filter, arith); defaults when absent.")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config value (repeatable), e.g. filter.keep-per-prompt=4.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--input", paramLabel = "DIR", description = "Traces folder, a path or URI (default: <run.work-dir>/<run.run-id>/traces).")
  String input;

  @Option(names = "--output", paramLabel = "DIR", description = "Output folder, a path or URI (default: <run.work-dir>/<run.run-id>/filtered).")
  String output;

  @Option(names = "--allow-incomplete", description = "Read a traces folder without generate's _SUCCESS "
      + "(sets inputs.allow-incomplete; recorded in provenance).")
  boolean allowIncomplete;

  @Override
  public Integer call() {
    List<String> sets = new ArrayList<>(overrides);
    if (allowIncomplete) {
      sets.add("inputs.allow-incomplete=true");
    }
    RetortConfig cfg = RetortConfig.load(config, sets);
    cfg.checkSections(dev.retort.pipelines.run.EmbeddedPipeline.knownSections());
    RunLayout layout = RunSettings.from(cfg).layout();
    FilterResult r = FilterJob.run(cfg, input == null ? layout.traces() : location("--input", input),
        output == null ? layout.filtered() : location("--output", output));
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("output", r.output().toString());
    summary.put("skipped", r.skipped());
    summary.put("traces", r.traces());
    summary.put("accepted", r.accepted());
    summary.put("rejected", r.rejected());
    summary.put("malformed", r.malformed());
    summary.put("bad_files", r.stats().getOrDefault("bad_files", 0));
    summary.put("bad_rows", r.stats().getOrDefault("bad_rows", 0));
    summary.put("prompts", r.prompts());
    summary.put("accept_rate", r.stats().get("accept_rate"));
    summary.put("seconds", Math.round(r.seconds() * 100) / 100.0);
    System.out.println(Json.toJson(summary));
    return 0;
  }

  private static dev.retort.core.store.Location location(String option, String value) {
    try {
      return dev.retort.core.store.Location.of(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }
}
