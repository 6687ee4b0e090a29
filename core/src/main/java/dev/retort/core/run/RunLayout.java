package dev.retort.core.run;

import dev.retort.core.store.Location;

/**
 * The layout of one run (DESIGN.md): each stage reads a folder and writes a folder, so any stage
 * can run alone, on a cluster, or from Airflow. Output is partitioned by run id. The root is a
 * location on any store ({@link Location}).
 */
public record RunLayout(Location root) {
  public static RunLayout of(Location workDir, String runId) {
    return new RunLayout(workDir.resolve(runId));
  }

  public Location prompts() {
    return root.resolve("prompts");
  }

  public Location traces() {
    return root.resolve("traces");
  }

  public Location filtered() {
    return root.resolve("filtered");
  }

  public Location accepted() {
    return filtered().resolve("accepted");
  }

  public Location rejected() {
    return filtered().resolve("rejected");
  }

  public Location sft() {
    return filtered().resolve("sft");
  }

  public Location models() {
    return root.resolve("models");
  }

  public Location model(String name) {
    return models().resolve(name);
  }

  public Location eval() {
    return root.resolve("eval");
  }

  public Location eval(String model) {
    return eval().resolve(model);
  }

  public Location report() {
    return root.resolve("report");
  }
}
