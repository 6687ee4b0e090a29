package dev.retort.core.datasets;

import dev.retort.core.data.Prompt;
import java.util.List;

/** The prompts read from one input, and the rows that were rejected with reasons. */
public record PromptSet(String source, List<Prompt> prompts, List<RejectedRow> rejects) {
  public PromptSet {
    prompts = List.copyOf(prompts);
    rejects = List.copyOf(rejects);
  }
}
