package dev.retort.filter;

import dev.retort.filter.decontam.Decontaminator;
import dev.retort.filter.dedup.Deduplicator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The prompt screen in plain Java over all prompts at once: the reference the Spark job's verdicts
 * (hashes digested in its tasks, the greedy pass on the driver) are checked against.
 */
public final class PromptScreenOracle {
  private PromptScreenOracle() {}

  /** Reasons per rejected prompt id (contamination, then duplication); prompts not in the map pass. */
  public static Map<String, List<String>> screen(FilterSettings settings, Decontaminator decontaminator,
      Collection<PromptScreen.PromptText> prompts) {
    List<PromptScreen.PromptText> sorted = new ArrayList<>(prompts);
    sorted.sort(Comparator.comparing(PromptScreen.PromptText::id));
    List<PromptScreen.PromptText> unique = new ArrayList<>();
    for (PromptScreen.PromptText p : sorted) {
      if (unique.isEmpty() || !unique.get(unique.size() - 1).id().equals(p.id())) {
        unique.add(p);
      }
    }
    Deduplicator hasher = settings.dedupPrompts() ? PromptScreen.hasher(settings) : null;
    Map<String, List<String>> dups = hasher != null
        ? PromptScreen.duplicates(settings, unique.stream().map(p -> PromptScreen.hash(hasher, p)).toList()) : Map.of();
    Map<String, List<String>> out = new TreeMap<>();
    for (PromptScreen.PromptText p : unique) {
      Optional<String> contaminated = decontaminator == null ? Optional.empty() : decontaminator.contaminatedBy(p.problem());
      List<String> reasons = PromptScreen.reasons(contaminated, dups.get(p.id()));
      if (!reasons.isEmpty()) {
        out.put(p.id(), reasons);
      }
    }
    return out;
  }
}
