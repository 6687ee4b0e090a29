package dev.retort.pipelines.run;

import dev.retort.core.config.RetortConfig;
import java.util.HashSet;
import java.util.List;

/**
 * The {@code study} section: the distilled-versus-RL comparison that {@code pipeline.study = true}
 * runs after the base (see pipelines/src/main/resources/retort-defaults.conf and docs/rl.md).
 *
 * @param seeds one run of each arm per seed (at least 2, for an interval across seeds)
 * @param snapshots fractions of each run at which its weights are evaluated besides the final model
 * @param bootstrap resamples of the paired bootstrap over problems
 * @param confidence level of every interval
 */
public record StudySettings(List<Long> seeds, List<Double> snapshots, int bootstrap, double confidence) {
  public static final String SECTION = "study";

  public StudySettings {
    seeds = List.copyOf(seeds);
    snapshots = List.copyOf(snapshots);
    if (seeds.size() < 2) {
      throw new IllegalArgumentException("seeds must list at least 2 seeds (an interval across seeds needs 2), got " + seeds);
    }
    if (new HashSet<>(seeds).size() != seeds.size()) {
      throw new IllegalArgumentException("seeds must be distinct, got " + seeds);
    }
    if (!snapshots.stream().allMatch(f -> f > 0 && f < 1)) {
      throw new IllegalArgumentException("snapshots must be fractions in (0, 1) (the final model is always evaluated), got "
          + snapshots);
    }
    if (bootstrap < 100) {
      throw new IllegalArgumentException("bootstrap must be at least 100 resamples, got " + bootstrap);
    }
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
    }
  }

  public static StudySettings from(RetortConfig config) {
    return config.section(SECTION, StudySettings.class);
  }
}
