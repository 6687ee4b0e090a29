package dev.retort.core.data;

import java.util.Map;
import java.util.Objects;

/**
 * One problem to distill on or evaluate against. Fields match the Parquet columns of the prompt
 * contract (docs/data-contracts.md).
 *
 * @param id stable identifier, unique within a prompt set (e.g. {@code math500/test/algebra/1.json})
 * @param source where it came from (benchmark or dataset name)
 * @param problem the problem text shown to the model, without any template
 * @param referenceAnswer the gold final answer (may be null for unlabeled prompts)
 * @param answerType how the answer is verified
 * @param solution a reference worked solution, when the dataset has one (used to bootstrap teachers)
 * @param metadata free-form string pairs (subject, level, url, ...)
 */
public record Prompt(
    String id,
    String source,
    String problem,
    String referenceAnswer,
    AnswerType answerType,
    String solution,
    Map<String, String> metadata) {
  public Prompt {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(problem, "problem");
    source = source == null ? "" : source;
    answerType = answerType == null ? AnswerType.MATH : answerType;
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }
}
