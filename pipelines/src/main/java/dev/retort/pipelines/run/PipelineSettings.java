package dev.retort.pipelines.run;

import dev.retort.core.config.RetortConfig;

/**
 * The {@code pipeline} section: how {@code retort run} strings the stages together on the embedded
 * default. See pipelines/src/main/resources/retort-defaults.conf for each key.
 */
public record PipelineSettings(int teacherServers, int serveMaxBatch, int bootstrapSize, int distillSize,
    String template, StudentInit studentInit, boolean unfilteredAblation, AblationBudget ablationBudget,
    boolean concurrentTraining, boolean rlArm, double baseWorked, boolean study,
    dev.retort.core.store.Location teacherCache) {
  public static final String SECTION = "pipeline";

  public enum StudentInit { BASE, SCRATCH }

  /**
   * How much training the unfiltered ablation gets. MATCHED: the distilled student's optimizer
   * steps, so the two differ only in their data (the unfiltered set is larger, and the same number
   * of epochs would hand it more compute). EPOCHS: the same epochs as the distilled student.
   */
  public enum AblationBudget { MATCHED, EPOCHS }

  public PipelineSettings {
    if (teacherServers < 1) {
      throw new IllegalArgumentException("pipeline.teacher-servers must be >= 1");
    }
    if (!(baseWorked >= 0 && baseWorked <= 1)) {
      throw new IllegalArgumentException("pipeline.base-worked must be in [0, 1], got " + baseWorked);
    }
    if (!template.contains("{problem}")) {
      throw new IllegalArgumentException("pipeline.template must contain {problem}");
    }
  }

  public static PipelineSettings from(RetortConfig config) {
    return config.section(SECTION, PipelineSettings.class);
  }

  public String render(String problem) {
    return template.replace("{problem}", problem);
  }
}
