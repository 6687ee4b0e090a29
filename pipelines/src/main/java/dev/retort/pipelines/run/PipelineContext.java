package dev.retort.pipelines.run;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.run.RunLayout;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the stages of one pipeline run share: the config, the run's folders, and results so far. */
public final class PipelineContext {
  private final RetortConfig config;
  private final RunSettings run;
  private final Map<String, Record> results = new LinkedHashMap<>();
  private final Map<String, EmbeddedPipeline.Alongside> alongside = new LinkedHashMap<>();
  private final Staging staging = new Staging();

  public PipelineContext(RetortConfig config) {
    this.config = config;
    this.run = RunSettings.from(config);
  }

  public RetortConfig config() {
    return config;
  }

  public RunSettings run() {
    return run;
  }

  public RunLayout layout() {
    return run.layout();
  }

  /** Results of completed (or skipped) stages, by stage name, in stage order (read-only). */
  public Map<String, Record> results() {
    return java.util.Collections.unmodifiableMap(results);
  }

  /** The result of a stage that ran (or was skipped as complete) in this run; empty otherwise. */
  public <R extends Record> java.util.Optional<R> result(String stage, Class<R> type) {
    Record r = results.get(stage);
    return type.isInstance(r) ? java.util.Optional.of(type.cast(r)) : java.util.Optional.empty();
  }

  /** Records a stage's result (the pipeline does, as each stage completes or is skipped). */
  void complete(String stage, Record result) {
    results.put(stage, result);
  }

  /** Local files standing for the run's locations, for the stages that need local files. */
  Staging staging() {
    return staging;
  }

  /** Trainers started by one stage and joined by a later one in this process, by stage name. */
  Map<String, EmbeddedPipeline.Alongside> alongside() {
    return alongside;
  }
}
