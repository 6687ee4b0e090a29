package dev.retort.core.config;

import dev.retort.core.run.RunLayout;
import dev.retort.core.store.Location;

/**
 * The {@code run} section shared by every stage.
 *
 * @param workDir root folder of all runs: a local path or a URI on any Hadoop FileSystem (hdfs://, s3a://)
 * @param runId this run's folder name under workDir; outputs are partitioned by it
 * @param seed base seed; stages derive their own seeds from it
 */
public record RunSettings(Location workDir, String runId, long seed) {
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
