package dev.retort.core.datasets;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which column of a prompt file holds each field, for files whose column names are not the
 * layout's own (Hugging Face datasets name the problem {@code problem}, {@code question},
 * {@code prompt}, {@code input}...). An empty field keeps the layout's default names. Bound from
 * {@code generate.prompt-columns}.
 *
 * @param id the row's stable id (default: id, unique_id, problem_id; else {@code source/row})
 * @param problem the problem text (default: problem, question, prompt)
 * @param answer the gold final answer (default: answer, reference_answer, gold, final_answer)
 * @param solution a worked solution (default: solution); its last {@code \boxed{}} is the answer
 *     when the row has no answer column
 * @param messages a chat as a list of {@code {role, content}} (or ShareGPT {@code {from, value}})
 */
public record PromptColumns(Optional<String> id, Optional<String> problem, Optional<String> answer,
    Optional<String> solution, Optional<String> messages) {
  public static final PromptColumns DEFAULT = new PromptColumns(Optional.empty(), Optional.empty(), Optional.empty(),
      Optional.empty(), Optional.empty());

  public PromptColumns {
    id = clean(id);
    problem = clean(problem);
    answer = clean(answer);
    solution = clean(solution);
    messages = clean(messages);
  }

  private static Optional<String> clean(Optional<String> o) {
    return o == null ? Optional.empty() : o.map(String::trim).filter(s -> !s.isEmpty());
  }

  /** The configured columns, field name (the layout's canonical column) to the file's column, in field order. */
  public Map<String, String> mapping() {
    Map<String, String> m = new LinkedHashMap<>();
    id.ifPresent(c -> m.put("id", c));
    problem.ifPresent(c -> m.put("problem", c));
    answer.ifPresent(c -> m.put("answer", c));
    solution.ifPresent(c -> m.put("solution", c));
    messages.ifPresent(c -> m.put("messages", c));
    return m;
  }
}
