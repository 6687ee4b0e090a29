package dev.retort.filter;

import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;

/** The SFT-ready view of an accepted trace: the user turn as the teacher saw it, and the completion. */
public final class SftView {
  private SftView() {}

  public static SftExample of(Trace t, FilterSettings settings) {
    return SftExample.of(t.promptId(), t.sampleIndex(), t.source(), settings.userPrompt(t.problem()), t.reasoning(), t.answer());
  }
}
