package dev.retort.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.RetortConfig;
import dev.retort.filter.dedup.Deduplicator;
import dev.retort.filter.dedup.MinHasher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PromptScreenTest {
  private static final String[] WORDS = {"Ava", "has", "apples", "gets", "more", "gives", "away", "how", "many", "now",
      "the", "train", "leaves", "at", "noon", "and", "travels", "miles", "per", "hour"};

  /** The greedy pass over every prompt in id order, the first of each id kept: what the screen must decide. */
  private static Map<String, List<String>> everyPromptInIdOrder(FilterSettings s, List<PromptScreen.Hashed> prompts) {
    List<PromptScreen.Hashed> sorted = new ArrayList<>(prompts);
    sorted.sort(Comparator.comparing(PromptScreen.Hashed::id));
    FilterSettings.MinHash mh = s.minhash();
    Deduplicator d = new Deduplicator(mh.shingle(), MinHasher.classic(mh.numPerm()), mh.bands(), mh.promptJaccard());
    Map<String, List<String>> out = new TreeMap<>();
    String last = null;
    for (PromptScreen.Hashed h : sorted) {
      if (h.id().equals(last)) {
        continue;
      }
      last = h.id();
      Deduplicator.Outcome o = d.offer(h.hashes(), h.guard());
      if (!o.kept()) {
        out.put(h.id(), List.of(o.kind() == Deduplicator.Kind.DUPLICATE ? Reasons.DUPLICATE_PROMPT : Reasons.NEAR_DUPLICATE_PROMPT));
      }
    }
    return out;
  }

  @Test
  void onlyPromptsSharingAKeyGoThroughTheGreedyPassWithTheSameDecisions() {
    FilterSettings s = FilterSettings.from(RetortConfig.defaults());
    Deduplicator hasher = PromptScreen.hasher(s);
    SplittableRandom rnd = new SplittableRandom(5);
    List<String> texts = new ArrayList<>();
    List<PromptScreen.Hashed> prompts = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      String text;
      int roll = rnd.nextInt(10);
      if (roll < 2 && !texts.isEmpty()) {
        text = texts.get(rnd.nextInt(texts.size())); // an exact copy under another id
      } else if (roll < 4 && !texts.isEmpty()) {
        text = texts.get(rnd.nextInt(texts.size())) + " " + WORDS[rnd.nextInt(WORDS.length)]; // a near copy
      } else {
        StringBuilder b = new StringBuilder();
        for (int w = 8 + rnd.nextInt(20); w > 0; w--) {
          b.append(WORDS[rnd.nextInt(WORDS.length)]).append(' ').append(rnd.nextInt(50)).append(' ');
        }
        text = b.toString();
      }
      texts.add(text);
      // Ids out of order, and now and then an id given twice with another text (the first counts).
      String id = roll == 9 && i > 0 ? prompts.get(rnd.nextInt(prompts.size())).id() : "p-" + Integer.toHexString(rnd.nextInt());
      String reference = rnd.nextInt(4) == 0 ? "7" : "12";
      prompts.add(PromptScreen.hash(hasher, new PromptScreen.PromptText(id, text, reference)));
    }
    Map<String, List<String>> expected = everyPromptInIdOrder(s, prompts);
    assertTrue(expected.values().stream().anyMatch(r -> r.contains(Reasons.DUPLICATE_PROMPT)), "exact duplicates present");
    assertTrue(expected.values().stream().anyMatch(r -> r.contains(Reasons.NEAR_DUPLICATE_PROMPT)), "near duplicates present");
    assertEquals(expected, PromptScreen.duplicates(s, prompts));
  }
}
