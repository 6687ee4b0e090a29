package dev.retort.pipelines.run;

import java.util.List;

/**
 * One step of the pipeline. A stage is skipped on rerun when its fingerprint (its own config
 * sections chained with the fingerprints of the stages before it) matches the one recorded when it
 * last completed, so changing the teacher reruns everything downstream and nothing upstream.
 */
public interface Stage<R extends Record> {
  String name();

  /** Config sections whose values decide this stage's output. */
  List<String> configSections();

  /** The record {@link #run} returns, as read back from the stage's mark on a rerun. */
  Class<R> resultType();

  /** Runs the stage; returns what later stages, the report and the RESULT line need of it. */
  R run(PipelineContext ctx) throws Exception;
}
