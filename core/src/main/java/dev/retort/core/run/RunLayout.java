package dev.retort.core.run;

import java.nio.file.Path;

/**
 * The on-disk layout of one run (DESIGN.md): each stage reads a folder and writes a folder, so any
 * stage can run alone, on a cluster, or from Airflow. Output is partitioned by run id.
 */
public record RunLayout(Path root) {
  public static RunLayout of(Path workDir, String runId) {
    return new RunLayout(workDir.resolve(runId));
  }

  public Path prompts() {
    return root.resolve("prompts");
  }

  public Path traces() {
    return root.resolve("traces");
  }

  public Path filtered() {
    return root.resolve("filtered");
  }

  public Path accepted() {
    return filtered().resolve("accepted");
  }

  public Path rejected() {
    return filtered().resolve("rejected");
  }

  public Path sft() {
    return filtered().resolve("sft");
  }

  public Path models() {
    return root.resolve("models");
  }

  public Path model(String name) {
    return models().resolve(name);
  }

  public Path eval() {
    return root.resolve("eval");
  }

  public Path eval(String model) {
    return eval().resolve(model);
  }

  public Path report() {
    return root.resolve("report");
  }
}
