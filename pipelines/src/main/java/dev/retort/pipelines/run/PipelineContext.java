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
  private final Map<String, Map<String, Object>> results = new LinkedHashMap<>();
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

  /** Results of completed (or skipped) stages, by stage name. */
  public Map<String, Map<String, Object>> results() {
    return results;
  }

  public Object result(String stage, String key) {
    Map<String, Object> r = results.get(stage);
    return r == null ? null : r.get(key);
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
