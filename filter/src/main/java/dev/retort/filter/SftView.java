package dev.retort.filter;

import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import java.util.List;

/**
 * The SFT-ready view of an accepted trace: the user turn as the teacher saw it, and the completion,
 * with the further columns {@code filter.sft-format} asks for (the others null, messages empty).
 */
public final class SftView {
  private SftView() {}

  public static SftExample of(Trace t, FilterSettings settings) {
    return of(t, settings, settings.userPrompt(t.problem()));
  }

  /** As {@link #of(Trace, FilterSettings)} with the user turn already made ({@code settings.userPrompt(t.problem())}). */
  public static SftExample of(Trace t, FilterSettings settings, String userPrompt) {
    SftExample all = SftExample.of(t.promptId(), t.sampleIndex(), t.source(), userPrompt, t.reasoning(), t.answer());
    return switch (settings.sftFormat()) {
      case ALL -> all;
      case MESSAGES -> new SftExample(all.promptId(), all.sampleIndex(), all.source(), all.prompt(), null, null,
          all.completion(), all.messages());
      case PROMPT_COMPLETION -> new SftExample(all.promptId(), all.sampleIndex(), all.source(), all.prompt(), null, null,
          all.completion(), List.of());
    };
  }
}
