package dev.retort.pipelines.cli;

import dev.retort.pipelines.run.Pipeline;
import dev.retort.pipelines.run.PipelineContext;
import java.util.List;
import java.util.Map;

/** Test access to {@link RunCommand}'s package-private closing summary from other test packages. */
public final class RunCommandAccess {
  private RunCommandAccess() {}

  public static List<String> summary(PipelineContext ctx, Pipeline p, Map<String, Record> results, String until) {
    return RunCommand.summary(ctx, p, results, until);
  }
}
