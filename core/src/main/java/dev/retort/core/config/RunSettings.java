package dev.retort.core.config;

import dev.retort.core.run.RunLayout;
import java.nio.file.Path;

/**
 * The {@code run} section shared by every stage.
 *
 * @param workDir root folder of all runs
 * @param runId this run's folder name under workDir; outputs are partitioned by it
 * @param seed base seed; stages derive their own seeds from it
 */
public record RunSettings(Path workDir, String runId, long seed) {
  public static final String SECTION = "run";

  public RunSettings {
    if (runId == null || runId.isBlank() || runId.contains("/") || runId.contains("..")) {
      throw new IllegalArgumentException("run.run-id must be a plain folder name, got '" + runId + "'");
    }
  }

  public RunLayout layout() {
    return RunLayout.of(workDir, runId);
  }

  public static RunSettings from(RetortConfig config) {
    return config.section(SECTION, RunSettings.class);
  }
}
