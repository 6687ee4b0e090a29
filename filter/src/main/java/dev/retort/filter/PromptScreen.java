package dev.retort.filter;

import dev.retort.filter.decontam.Decontaminator;
import dev.retort.filter.dedup.Deduplicator;
import dev.retort.filter.dedup.MinHasher;
import dev.retort.filter.text.Tokens;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Prompt-level decisions, made once over all prompts of the input: benchmark contamination and
 * exact or near-duplicate prompts. The result rejects every trace of the prompts it names.
 *
 * <p>Prompts are taken in id order, so which member of a duplicate cluster survives (the smallest
 * id) does not depend on how the input was sharded. Near-duplicates must also share the reference
 * answer (normalized): problems that differ only in a number look alike and are different
 * problems.
 */
public final class PromptScreen {
  /** One prompt as the traces carry it (serializable: Spark tasks collect them for the driver). */
  public record PromptText(String id, String problem, String referenceAnswer) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  private final FilterSettings settings;
  private final Decontaminator decontaminator;

  /** @param decontaminator null for no decontamination */
  public PromptScreen(FilterSettings settings, Decontaminator decontaminator) {
    this.settings = settings;
    this.decontaminator = decontaminator;
  }

  /** Reasons per rejected prompt id; prompts not in the map pass. */
  public Map<String, List<String>> screen(Collection<PromptText> prompts) {
    List<PromptText> sorted = new ArrayList<>(prompts);
    sorted.sort(Comparator.comparing(PromptText::id));
    Map<String, List<String>> out = new TreeMap<>();
    FilterSettings.MinHash mh = settings.minhash();
    Deduplicator dedup = settings.dedupPrompts()
        ? new Deduplicator(mh.shingle(), MinHasher.classic(mh.numPerm()), mh.bands(), mh.promptJaccard()) : null;
    // The per-prompt hashing (decontamination, MinHash) runs in parallel; the greedy dedup that
    // depends on order runs after it, in id order.
    List<PromptText> unique = new ArrayList<>(sorted.size());
    for (PromptText p : sorted) {
      if (unique.isEmpty() || !unique.get(unique.size() - 1).id().equals(p.id())) {
        unique.add(p); // one row per trace upstream: the same prompt may come several times
      }
    }
    List<Optional<String>> contamination = decontaminator == null ? null
        : unique.parallelStream().map(p -> decontaminator.contaminatedBy(p.problem())).toList();
    List<Deduplicator.Prepared> prepared = dedup == null ? null
        : unique.parallelStream().map(p -> dedup.prepare(Tokens.tokenHashes(p.problem()))).toList();
    for (int i = 0; i < unique.size(); i++) {
      PromptText p = unique.get(i);
      List<String> reasons = new ArrayList<>(1);
      if (contamination != null) {
        contamination.get(i).ifPresent(b -> reasons.add(Reasons.contaminated(b)));
      }
      if (dedup != null) {
        String guard = p.referenceAnswer() == null ? null : Tokens.normalizedText(p.referenceAnswer());
        Deduplicator.Outcome o = dedup.offer(prepared.get(i), guard);
        if (o.kind() == Deduplicator.Kind.DUPLICATE) {
          reasons.add(Reasons.DUPLICATE_PROMPT);
        } else if (o.kind() == Deduplicator.Kind.NEAR_DUPLICATE) {
          reasons.add(Reasons.NEAR_DUPLICATE_PROMPT);
        }
      }
      if (!reasons.isEmpty()) {
        out.put(p.id(), List.copyOf(reasons));
      }
    }
    return out;
  }
}
