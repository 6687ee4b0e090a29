package dev.retort.teacher.server;

import dev.retort.core.Hashing;
import dev.retort.core.data.SamplingParams;
import dev.retort.model.ChatMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic text backend for tests and benchmarks: no model, no GPU, the same answer for the
 * same (prompt, seed, max tokens) every time, so a rerun can be checked row by row. Not a teacher:
 * it exists so that the server, the client pool and the generate job can be exercised, and
 * benchmarked, on any machine.
 *
 * <p>The default script works through the embedded arith problems step by step ("Ava has 5 apples.
 * Gets 3 more. ...") and is right about three times in four at temperature above 0
 * (always at temperature 0); other prompts get a short canned reasoning and a number derived from a
 * hash. Tokens are whitespace-separated words; a reasoning longer than max tokens is cut and
 * reported with finish reason "length", like a real model that ran out of budget while thinking.
 *
 * <p>With a per-token delay it stands in for a model on an accelerator: it goes through the
 * {@link Batcher} (not inline) and each slice sleeps the delay times the most tokens any row of the
 * slice produced (rows of a batch decode in parallel, as on a GPU), so the scheduler's fairness can
 * be measured without a model. With a context size, prompts (words of all messages) plus max
 * tokens beyond it are refused by {@link #check}, as a model backend refuses them.
 */
public final class ScriptedBackend implements CompletionBackend {
  private static final Pattern START = Pattern.compile("has (\\d+) ");
  private static final Pattern SPACE = Pattern.compile("\\s+");
  private static final Pattern STEP = Pattern.compile("(?:Gets (\\d+) more|Gives (\\d+) away|Multiplies them by (\\d+))");

  private final Function<CompletionRequest, Completion> script;
  private final long tokenDelayNanos;
  private final int contextTokens;

  public ScriptedBackend() {
    this(ScriptedBackend::defaultScript);
  }

  public ScriptedBackend(Function<CompletionRequest, Completion> script) {
    this(script, Duration.ZERO, Integer.MAX_VALUE);
  }

  /**
   * @param tokenDelay time one decoding step of a batch takes (zero: none, answers inline)
   * @param contextTokens most prompt words plus max tokens a request may ask for
   */
  public ScriptedBackend(Function<CompletionRequest, Completion> script, Duration tokenDelay, int contextTokens) {
    this.script = script;
    this.tokenDelayNanos = Math.max(0, tokenDelay.toNanos());
    if (contextTokens < 1) {
      throw new IllegalArgumentException("context must be >= 1 token, got " + contextTokens);
    }
    this.contextTokens = contextTokens;
  }

  /** Without a delay the script is a pure function: no batching needed, any thread may call it. */
  @Override
  public boolean inline() {
    return tokenDelayNanos == 0;
  }

  @Override
  public void check(CompletionRequest request) {
    long promptTokens = 0;
    for (ChatMessage m : request.messages()) {
      promptTokens += count(m.content());
    }
    long total = promptTokens + request.sampling().maxTokens();
    if (total > contextTokens) {
      throw new IllegalArgumentException("the prompt's " + promptTokens + " tokens plus max_tokens "
          + request.sampling().maxTokens() + " exceed the model's context of " + contextTokens + " tokens");
    }
  }

  /** Reveals each row's scripted completion {@code sliceTokens} tokens at a time, sleeping as a batch would decode. */
  @Override
  public List<Decode> decode(List<Decode> rows, int sliceTokens) throws Exception {
    if (tokenDelayNanos == 0) {
      return CompletionBackend.super.decode(rows, sliceTokens);
    }
    List<Decode> out = new ArrayList<>(rows.size());
    long steps = 0;
    for (Decode d : rows) {
      Completion c = script.apply(d.request());
      int have = d.tokens().length;
      int step = Math.min(sliceTokens, Math.max(0, c.completionTokens() - have));
      steps = Math.max(steps, step);
      out.add(have + step >= c.completionTokens() ? d.finish(c) : d.next(null, new int[have + step]));
    }
    java.util.concurrent.TimeUnit.NANOSECONDS.sleep(steps * tokenDelayNanos);
    return out;
  }

  @Override
  public List<Completion> generate(List<CompletionRequest> batch) {
    List<Completion> out = new ArrayList<>(batch.size());
    for (CompletionRequest r : batch) {
      out.add(script.apply(r));
    }
    return out;
  }

  /** A user turn starting with this asks {@link #essayScript} for a completion that uses its whole budget. */
  public static final String ESSAY = "Write at length:";

  /**
   * The default script, except that a user turn starting with {@link #ESSAY} gets max_tokens words
   * of reasoning and finish reason "length": a client that spends all the budget it asked for
   * (tests and benchmarks of scheduling).
   */
  public static Completion essayScript(CompletionRequest r) {
    String user = r.userText();
    if (!user.startsWith(ESSAY)) {
      return defaultScript(r);
    }
    int n = r.sampling().maxTokens();
    return new Completion("more ".repeat(n).strip(), "", "length", count(user), n);
  }

  /** The default script; public so that tests can compute the expected output of any request. */
  public static Completion defaultScript(CompletionRequest r) {
    String user = r.userText();
    SamplingParams s = r.sampling();
    long h = fnv(user);
    if (s.temperature() > 0 && s.seed() != null) {
      h = Hashing.mix64(h ^ (s.seed() * 0x9E3779B97F4A7C15L));
    }
    List<String> steps = new ArrayList<>();
    Integer answer = solveArith(user, steps);
    String reasoning;
    long value;
    if (answer != null) {
      boolean slip = s.temperature() > 0 && Math.floorMod(h, 4) == 0;
      value = slip ? answer + 1 + Math.floorMod(h >>> 8, 3) : answer;
      reasoning = "Let me work through it step by step.\n" + String.join("\n", steps)
          + (slip ? "\nHmm, I will round that to " + value + "." : "\nSo the total is " + value + ".");
    } else {
      value = Math.floorMod(h, 100);
      int words = 8 + Math.floorMod(h >>> 16, 24);
      StringBuilder b = new StringBuilder("Let me think about this problem.");
      for (int i = 0; i < words; i++) {
        b.append(' ').append("step").append(i + 1);
      }
      reasoning = b.append(" The result is ").append(value).append('.').toString();
    }
    String ans = "The answer is \\boxed{" + value + "}.";
    int promptTokens = count(user);
    String[] rw = SPACE.split(reasoning);
    int ansTokens = count(ans);
    if (rw.length + ansTokens > s.maxTokens()) {
      int keep = Math.min(rw.length, s.maxTokens());
      return new Completion(String.join(" ", java.util.Arrays.copyOf(rw, keep)), "", "length", promptTokens, keep);
    }
    String stopped = applyStop(ans, r.stop());
    return new Completion(reasoning, stopped, "stop", promptTokens,
        rw.length + count(stopped));
  }

  /** Solves "X has N items. Gets A more. Gives B away. Multiplies them by C. How many items now?" */
  static Integer solveArith(String text, List<String> steps) {
    Matcher m0 = START.matcher(text);
    if (!m0.find()) {
      return null;
    }
    int v = Integer.parseInt(m0.group(1));
    Matcher m = STEP.matcher(text);
    boolean any = false;
    while (m.find()) {
      any = true;
      int next;
      String line;
      if (m.group(1) != null) {
        int a = Integer.parseInt(m.group(1));
        next = v + a;
        line = v + " + " + a + " = " + next;
      } else if (m.group(2) != null) {
        int a = Integer.parseInt(m.group(2));
        next = v - a;
        line = v + " - " + a + " = " + next;
      } else {
        int a = Integer.parseInt(m.group(3));
        next = v * a;
        line = v + " * " + a + " = " + next;
      }
      steps.add(line);
      v = next;
    }
    return any ? v : null;
  }

  private static String applyStop(String text, List<String> stop) {
    int cut = text.length();
    for (String s : stop) {
      int i = s.isEmpty() ? -1 : text.indexOf(s);
      if (i >= 0) {
        cut = Math.min(cut, i);
      }
    }
    return text.substring(0, cut);
  }

  /** Whitespace-separated words: the scripted backend's tokens. */
  private static int count(String s) {
    int n = 0;
    boolean in = false;
    for (int i = 0; i < s.length(); i++) {
      boolean ws = Character.isWhitespace(s.charAt(i));
      if (!ws && !in) {
        n++;
      }
      in = !ws;
    }
    return n;
  }

  static long fnv(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    return h;
  }

}
