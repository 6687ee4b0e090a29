package dev.retort.pipelines.run;

import java.util.List;
import java.util.Map;

/**
 * One step of the pipeline. A stage is skipped on rerun when its fingerprint (its own config
 * sections chained with the fingerprints of the stages before it) matches the one recorded when it
 * last completed, so changing the teacher reruns everything downstream and nothing upstream.
 */
public interface Stage {
  String name();

  /** Config sections whose values decide this stage's output. */
  List<String> configSections();

  /** Runs the stage; returns numbers for the final report and RESULT line. */
  Map<String, Object> run(PipelineContext ctx) throws Exception;
}
