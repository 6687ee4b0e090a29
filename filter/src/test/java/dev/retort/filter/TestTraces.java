package dev.retort.filter;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.AnswerType;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.Trace;
import java.nio.file.Path;

/** Trace fixtures shared by the filter tests. */
public final class TestTraces {
  private TestTraces() {}

  public static Trace trace(String promptId, int sample, String problem, String reference, String reasoning, String answer) {
    return trace(promptId, sample, problem, reference, reasoning, answer, "stop", 10 + (reasoning == null ? 0 : reasoning.length() / 4));
  }

  public static Trace trace(String promptId, int sample, String problem, String reference, String reasoning, String answer,
      String finish, int completionTokens) {
    return new Trace(promptId, sample, "teacher-test", "unit", problem, reference, AnswerType.NUMBER,
        new SamplingParams(0.6, 0.95, 0, 256, 7L + sample), reasoning, answer, finish, 20, completionTokens, 5, null);
  }

  /** Settings from the module defaults, with overrides such as {@code "filter.keep-per-prompt=2"}. */
  public static FilterSettings settings(String... overrides) {
    return FilterSettings.from(RetortConfig.defaults(withoutBenchmarkDir(overrides)));
  }

  /** Tests never depend on ../shared unless they say so: the default benchmark dir is switched off. */
  public static String[] withoutBenchmarkDir(String... overrides) {
    String[] all = new String[overrides.length + 1];
    all[0] = "filter.decontamination.benchmark-dir=\"\"";
    System.arraycopy(overrides, 0, all, 1, overrides.length);
    return all;
  }

  /** shared/data/benchmarks, or null when absent (a user's fresh clone has none; CI fails instead). */
  public static Path sharedBenchmarks() {
    return dev.retort.core.io.SharedFolder.resolve("data/benchmarks");
  }
}
