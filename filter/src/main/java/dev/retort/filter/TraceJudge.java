package dev.retort.filter;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.filter.dedup.Deduplicator;
import dev.retort.filter.dedup.MinHasher;
import dev.retort.filter.text.Tokens;
import dev.retort.verify.AnswerExtractor;
import dev.retort.verify.MathVerifier;
import dev.retort.verify.Verification;
import dev.retort.verify.Verifier;
import dev.retort.verify.Verifiers;
import dev.retort.verify.code.PythonSandbox;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Turns the traces of one prompt into verdicts: quality filters, answer verification, then the
 * choice of which passing traces to keep (dedup among them and at most {@code keep-per-prompt},
 * shortest first). Plain Java: the Spark job calls it once per prompt group, tests call it
 * directly. Not thread-safe (it caches verifiers); use one per task.
 *
 * <p>Order of decisions: reasons that are facts about one trace (quality, correctness) are all
 * reported; selection reasons (duplicate, keep limit) are given only to traces that passed
 * everything else, so a wrong trace is never reported as "duplicate" of a right one.
 */
public final class TraceJudge {
  private static final Pattern CHOICE = Pattern.compile("\\(?\\s*[A-Za-z]\\s*\\)?\\.?");

  private final FilterSettings settings;
  private final QualityFilters quality;
  private final Function<String, Verifier> verifierFor;
  private final Map<String, Verifier> verifiers = new HashMap<>();
  /**
   * Verifications of one prompt's answers, by answer text: samples of a prompt often end in the
   * same words ("The answer is \\boxed{12}."), so each distinct answer is extracted, parsed and
   * compared once. Valid for {@link #memoGold} and {@link #memoType}.
   */
  private final Map<String, Verification> memo = new HashMap<>();
  private String memoGold;
  private String memoType;

  /** With the project's verifiers, each verification limited to {@code verify-timeout-ms}. */
  public TraceJudge(FilterSettings settings) {
    this(settings, type -> Verifiers.forAnswerType(type,
        MathVerifier.Options.defaults().withTimeoutMillis(settings.verifyTimeoutMs())));
  }

  /** @param verifierFor the verifier for an answer type code ("number", "math", "choice", "string") */
  public TraceJudge(FilterSettings settings, Function<String, Verifier> verifierFor) {
    this.settings = settings;
    this.quality = QualityFilters.from(settings);
    this.verifierFor = verifierFor;
  }

  /**
   * Judges every trace of one prompt.
   *
   * @param traces the prompt's traces (all with the same prompt id), any order
   * @param promptReasons reasons that reject the whole prompt (contamination, duplicate prompt); may be empty
   * @return one verdict per trace, in the order given
   * @throws IllegalArgumentException if the traces belong to different prompts
   */
  public List<Verdict> judge(List<Trace> traces, List<String> promptReasons) {
    int n = traces.size();
    memo.clear(); // one group's answers at a time
    memoGold = null;
    List<List<String>> reasons = new ArrayList<>(n);
    boolean[] correct = new boolean[n];
    String[] extracted = new String[n];
    Set<Integer> seenIndex = new HashSet<>();
    String promptId = n == 0 ? null : traces.get(0).promptId();
    for (int i = 0; i < n; i++) {
      Trace t = traces.get(i);
      if (!t.promptId().equals(promptId)) {
        throw new IllegalArgumentException("judge: traces of prompts '" + promptId + "' and '" + t.promptId() + "' in one group");
      }
      List<String> r = quality.reasons(t);
      if (!seenIndex.add(t.sampleIndex())) {
        r.add(0, Reasons.DUPLICATE_KEY);
      }
      verify(t, r, correct, extracted, i);
      r.addAll(promptReasons);
      reasons.add(r);
    }
    select(traces, reasons);
    List<Verdict> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new Verdict(traces.get(i), correct[i], extracted[i], reasons.get(i)));
    }
    return out;
  }

  private void verify(Trace t, List<String> r, boolean[] correct, String[] extracted, int i) {
    boolean truncated = "length".equals(t.finishReason());
    String type = t.answerType() == null ? AnswerType.MATH.code() : t.answerType().code();
    String response = t.answer() == null ? "" : t.answer();
    String gold = t.referenceAnswer();
    boolean hasGold = gold != null && !gold.isBlank();
    if (hasGold) {
      if (!gold.equals(memoGold) || !type.equals(memoType)) {
        memo.clear();
        memoGold = gold;
        memoType = type;
      }
      Verification v = memo.get(response);
      if (v == null) {
        try {
          v = verifier(type).verify(gold, response);
        } catch (PythonSandbox.UnavailableException e) {
          throw e; // a setup error (no code sandbox here), not a verdict on this trace: the job stops with it
        } catch (RuntimeException e) {
          // A verifier bug must not fail the job: the trace is simply not shown to be correct.
          v = new Verification(false, AnswerExtractor.extract(response).orElse(null), "verifier failed: " + e);
        }
        memo.put(response, v);
      }
      extracted[i] = v.extracted();
      // A truncated trace is never correct: its answer was cut off, whatever the text holds.
      correct[i] = v.correct() && !truncated;
    } else {
      extracted[i] = AnswerExtractor.extract(response).orElse(null);
    }
    if (truncated) {
      return;
    }
    if (!wellFormed(type, extracted[i])) {
      r.add(Reasons.ANSWER_FORMAT);
    } else if (!hasGold) {
      if (settings.requireCorrect()) {
        r.add(Reasons.UNVERIFIABLE);
      }
    } else if (!correct[i] && settings.requireCorrect()) {
      r.add(Reasons.INCORRECT);
    }
  }

  /** The answer is in the expected format: present, a letter for choice, holding a digit for number. */
  static boolean wellFormed(String type, String extracted) {
    if (extracted == null || extracted.isBlank()) {
      return false;
    }
    return switch (type) {
      case "choice" -> CHOICE.matcher(extracted.strip()).matches();
      case "number" -> extracted.chars().anyMatch(Character::isDigit);
      default -> true;
    };
  }

  private void select(List<Trace> traces, List<List<String>> reasons) {
    List<Integer> passing = new ArrayList<>();
    for (int i = 0; i < traces.size(); i++) {
      if (reasons.get(i).isEmpty()) {
        passing.add(i);
      }
    }
    Comparator<Integer> order = Comparator.comparingInt(i -> traces.get(i).sampleIndex());
    if (settings.preferShorter()) {
      order = Comparator.<Integer>comparingLong(i -> length(traces.get(i))).thenComparing(order);
    }
    passing.sort(order);
    FilterSettings.MinHash mh = settings.minhash();
    Deduplicator dedup = settings.dedupTraces() && passing.size() > 1
        ? new Deduplicator(mh.shingle(), MinHasher.onePermutation(mh.numPerm()), mh.bands(), mh.traceJaccard()) : null;
    int kept = 0;
    for (int i : passing) {
      Trace t = traces.get(i);
      if (dedup != null) {
        Deduplicator.Outcome o = dedup.offerTokens(completionTokens(t), null);
        if (!o.kept()) {
          reasons.get(i).add(o.kind() == Deduplicator.Kind.DUPLICATE ? Reasons.DUPLICATE_TRACE : Reasons.NEAR_DUPLICATE_TRACE);
          continue;
        }
      }
      if (settings.keepPerPrompt() > 0 && kept >= settings.keepPerPrompt()) {
        reasons.get(i).add(Reasons.KEEP_LIMIT);
        continue;
      }
      kept++;
    }
  }

  /** Completion tokens when the server reported them, else characters: what "shorter" means. */
  private static long length(Trace t) {
    if (t.completionTokens() > 0) {
      return t.completionTokens();
    }
    return (t.reasoning() == null ? 0 : t.reasoning().length()) + (t.answer() == null ? 0 : t.answer().length());
  }

  private long[] completionTokens(Trace t) {
    long[] r = quality.tokenHashes(t.reasoning());
    long[] a = Tokens.tokenHashes(t.answer());
    long[] all = java.util.Arrays.copyOf(r, r.length + a.length);
    System.arraycopy(a, 0, all, r.length, a.length);
    return all;
  }

  private Verifier verifier(String type) {
    return verifiers.computeIfAbsent(type, verifierFor);
  }
}
