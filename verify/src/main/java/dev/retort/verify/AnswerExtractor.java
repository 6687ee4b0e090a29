package dev.retort.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer in a model response.
 *
 * <p>Order of evidence, strongest first:
 * <ol>
 *   <li>A {@code <think>} block that never closes means the model was cut off while thinking:
 *       no answer. When {@code </think>} is present only the text after it counts.</li>
 *   <li>Strong anchors, the last one in the text wins: the last {@code \boxed{}} / {@code \fbox{}}
 *       (with balanced braces; boxes right next to it joined by "and", "," ... form one answer:
 *       {@code \boxed{1} and \boxed{2}}), "final answer is ...", and GSM8K's {@code #### N}.</li>
 *   <li>Weak anchors when there is no strong one: "answer is/answer:" and a short bold
 *       {@code **x**}, whichever comes last.</li>
 *   <li>A short response is a bare answer (its math spans, or itself, or its last number when it
 *       is a sentence). A long response without anchors gives the last number or math span of its
 *       last sentences, but only when it ends like finished text: a response cut off mid-sentence
 *       has no answer, so truncation is never rewarded.</li>
 * </ol>
 * Chat-template tokens that leak into a response ({@code <|im_start|>user ...}) end it.
 */
public final class AnswerExtractor {

  /** Where an answer came from; the strength order of the javadoc above. */
  enum Source { BOXED, FINAL_ANSWER, HASH, ANSWER_IS, BOLD, SPANS, BARE, LAST_NUMBER }

  /**
   * An extracted answer. {@code parts} holds the separately boxed answers when several boxes were
   * joined ({@code \boxed{1}, \boxed{2}}); such parts form an unordered collection.
   */
  record Extraction(String answer, List<String> parts, Source source) {
    Extraction(String answer, Source source) {
      this(answer, List.of(answer), source);
    }
  }

  static final int SHORT_RESPONSE_CHARS = 200;

  /** How much of the end of a long response weak anchors and the last-number rule look at. */
  static final int TAIL_CHARS = 1500;

  private static final Pattern CONCLUSION = Pattern.compile(
      "(?i)\\b(?:therefore|thus|hence|so|answer|result|total|final|altogether|overall|in conclusion|is|are|equals)\\b|=");

  private static final String[] END_TOKENS = {
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>", "</s>",
    "<｜end▁of▁sentence｜>", "<|end_of_text|>"
  };

  /** A number in running text; not part of a word ("AZYUK2A" holds no number). */
  static final Pattern NUMBER = Pattern.compile(
      "(?<![A-Za-z0-9.\\\\_^])[-−]?(?:(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:[.,]\\d+)?|\\.\\d+)"
          + "(?:\\s*/\\s*\\d+(?:\\.\\d+)?)?(?:\\s*(?:\\\\?%|percent\\b|percentage\\b|pct\\b))?");

  private static final Pattern BOLD = Pattern.compile("\\*\\*([^*\\n]{1,80})\\*\\*");
  private static final Pattern WEAK_ANCHOR = Pattern.compile(
      "(?i)\\banswer\\b(?:\\s+(?:is|would be|will be|should be|equals))?\\s*(?:[:=]|\\bis\\b)?");
  private static final Pattern PROSE_TAIL = Pattern.compile(
      "(?i)(?:\\s(?:is|are|was|were|equals|be|gives|get|becomes)\\s|=|\\\\approx)");

  private AnswerExtractor() {}

  /**
   * The final answer of {@code response} as written (LaTeX kept, math delimiters removed), or
   * empty when the response has none: no anchor and cut off, an unfinished {@code <think>} block,
   * or nothing that looks like an answer.
   */
  public static Optional<String> extract(String response) {
    Extraction e = extractDetailed(response);
    return e == null ? Optional.empty() : Optional.of(e.answer());
  }

  /** True when the response opens a {@code <think>} block and never closes it. */
  public static boolean unfinishedThinking(String response) {
    return response != null && response.contains("<think>") && !response.contains("</think>");
  }

  static Extraction extractDetailed(String response) {
    if (response == null) {
      return null;
    }
    String text = Latex.restoreControlChars(response);
    int close = text.lastIndexOf("</think>");
    if (close >= 0) {
      text = text.substring(close + "</think>".length());
    } else if (text.contains("<think>")) {
      return null;
    }
    text = cutAtEndTokens(text).strip();
    if (text.isEmpty()) {
      return null;
    }
    Extraction strong = strongAnchor(text);
    if (strong != null) {
      return strong;
    }
    if (text.length() <= SHORT_RESPONSE_CHARS) {
      Extraction weak = weakAnchor(text, new int[1]);
      return weak != null ? weak : bare(text);
    }
    // Weak evidence only counts near the end: "the answer is 399?" in the middle of reasoning
    // is a guess the model went on to revise.
    String tail = text.length() > TAIL_CHARS ? text.substring(text.length() - TAIL_CHARS) : text;
    int[] weakPos = {-1};
    Extraction weak = weakAnchor(tail, weakPos);
    int[] conclusionPos = {-1};
    Extraction conclusion = looksFinished(tail) ? concludingNumber(tail, conclusionPos) : null;
    // The later of the two: a displayed result after "maybe the answer is 3" revises it.
    if (weak != null && (conclusion == null || weakPos[0] >= conclusionPos[0])) {
      return weak;
    }
    return conclusion;
  }

  /**
   * The answer written in a reference field: a bare answer ("\frac{1}{2}", "$1$ and $2$") unless it
   * holds a box or is a whole worked solution, which are extracted like a response.
   */
  static Extraction extractGold(String gold) {
    String g = Latex.restoreControlChars(gold).strip();
    if (g.contains("\\boxed") || g.contains("\\fbox")) {
      Extraction e = strongAnchor(g);
      if (e != null) {
        return e;
      }
    }
    if (g.length() > SHORT_RESPONSE_CHARS || g.contains("####")) {
      Extraction e = extractDetailed(g);
      if (e != null) {
        return e;
      }
    }
    List<int[]> spans = mathSpans(g);
    if (!spans.isEmpty() && onlyConnectorsOutside(g, spans)) {
      return new Extraction(joinSpans(g, spans), Source.SPANS);
    }
    return new Extraction(g, Source.BARE);
  }

  private static String cutAtEndTokens(String text) {
    int cut = text.length();
    for (String t : END_TOKENS) {
      int i = text.indexOf(t);
      if (i >= 0 && i < cut) {
        cut = i;
      }
    }
    return text.substring(0, cut);
  }

  // ---------------------------------------------------------------- strong anchors

  private static Extraction strongAnchor(String text) {
    List<int[]> boxes = trailingBoxes(text);
    int boxPos = boxes.isEmpty() ? -1 : boxes.get(0)[0];
    int finalPos = lastIndexOfIgnoreCase(text, "final answer");
    int hashPos = text.lastIndexOf("####");
    Extraction fin = null;
    if (finalPos > boxPos) {
      // "final answer" after the last box: its phrase wins unless it is empty ("**Final Answer**").
      String phrase = phraseAfter(text, finalPos + "final answer".length());
      String answer = phrase == null ? null : answerFromPhrase(phrase);
      if (answer != null) {
        fin = new Extraction(answer, Source.FINAL_ANSWER);
      } else {
        finalPos = -1;
      }
    }
    int best = Math.max(boxPos, Math.max(finalPos, hashPos));
    if (best < 0) {
      return null;
    }
    if (best == hashPos) {
      int eol = text.indexOf('\n', hashPos);
      String line = stripDelimiters(text.substring(hashPos + 4, eol < 0 ? text.length() : eol));
      // "#### Step 2: ..." is a markdown heading, not GSM8K's answer line.
      if (!line.isEmpty() && line.length() <= 40 && !isProse(line)) {
        return new Extraction(line, Source.HASH);
      }
      hashPos = -1;
      best = Math.max(boxPos, finalPos);
      if (best < 0) {
        return null;
      }
    }
    if (best == finalPos) {
      return fin;
    }
    List<String> parts = new ArrayList<>();
    for (int[] b : boxes) {
      parts.add(text.substring(b[1], b[2]).strip());
    }
    return new Extraction(String.join(", ", parts), List.copyOf(parts), Source.BOXED);
  }

  /**
   * The last box and the boxes just before it that are joined to it by short connecting text:
   * each entry is {start of "\boxed", content start, content end, box end}, in text order.
   */
  static List<int[]> trailingBoxes(String text) {
    List<int[]> all = new ArrayList<>();
    int from = 0;
    while (true) {
      int b = nextBox(text, from);
      if (b < 0) {
        break;
      }
      int[] box = readBox(text, b);
      if (box == null) {
        from = b + 4;
        continue;
      }
      all.add(box);
      from = box[3];
    }
    if (all.isEmpty()) {
      return List.of();
    }
    int first = all.size() - 1;
    while (first > 0 && joinable(text.substring(all.get(first - 1)[3], all.get(first)[0]))) {
      first--;
    }
    return all.subList(first, all.size());
  }

  private static int nextBox(String text, int from) {
    int a = text.indexOf("\\boxed", from);
    int b = text.indexOf("\\fbox", from);
    if (a < 0) {
      return b;
    }
    return b < 0 ? a : Math.min(a, b);
  }

  /** Reads "\boxed{...}" (balanced) or "\boxed 5" at {@code at}; null when unbalanced (cut off). */
  private static int[] readBox(String text, int at) {
    int i = at + (text.startsWith("\\boxed", at) ? 6 : 5);
    while (i < text.length() && text.charAt(i) == ' ') {
      i++;
    }
    if (i < text.length() && text.charAt(i) == '{') {
      int end = matchBrace(text, i);
      return end < 0 ? null : new int[] {at, i + 1, end, end + 1};
    }
    // "\boxed 5": one token up to whitespace or '$', without sentence punctuation.
    int s = i;
    while (i < text.length() && !Character.isWhitespace(text.charAt(i)) && text.charAt(i) != '$') {
      i++;
    }
    int end = i;
    while (end > s && ".,;:".indexOf(text.charAt(end - 1)) >= 0) {
      end--;
    }
    return end > s ? new int[] {at, s, end, i} : null;
  }

  /** Index of the '}' matching the '{' at {@code open}, skipping escaped braces; -1 if none. */
  static int matchBrace(String s, int open) {
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        i++;
        continue;
      }
      if (c == '{') {
        depth++;
      } else if (c == '}') {
        depth--;
        if (depth == 0) {
          return i;
        }
      }
    }
    return -1;
  }

  private static final Pattern CONNECTOR_WORD = Pattern.compile("(?i)^(and|or|&)$");

  /**
   * Whether the text between two boxes joins them into one answer: short, and holding a connector
   * ("and", "or", ",", ";") or nothing at all. "\boxed{1} papers and \boxed{2} bins" joins;
   * "\boxed{1} no no no no no \boxed{2}" does not.
   */
  private static boolean joinable(String gap) {
    String g = gap.replaceAll("\\\\(?:text|textbf|mathrm|mbox)\\{([^{}]*)\\}", " $1 ")
        .replaceAll("\\\\(?:quad|qquad|[()\\[\\],;! ])|\\$|\\\\\\\\", " ")
        .strip();
    if (g.isEmpty()) {
      return true;
    }
    if (g.length() > 40 || g.contains("\n\n")) {
      return false;
    }
    boolean connector = g.indexOf(',') >= 0 || g.indexOf(';') >= 0;
    int words = 0;
    for (String w : g.split("[\\s,;.:]+")) {
      if (w.isEmpty()) {
        continue;
      }
      words++;
      if (CONNECTOR_WORD.matcher(w).matches()) {
        connector = true;
      }
    }
    return connector && words <= 5;
  }

  // ---------------------------------------------------------------- phrases

  /**
   * The phrase after an anchor up to the end of its sentence, ignoring periods inside math and
   * decimal points. Leading ":", "is", "*", quotes and blank lines are skipped. Null when empty.
   */
  static String phraseAfter(String text, int from) {
    int i = from;
    int n = text.length();
    // Skip connective material: spaces, '*', ':', '=', "is", quotes.
    while (i < n) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c) || c == '*' || c == ':' || c == '"' || c == '=') {
        i++;
      } else if (text.regionMatches(true, i, "is ", 0, 3) || text.regionMatches(true, i, "is:", 0, 3)) {
        i += 2;
      } else {
        break;
      }
    }
    int start = i;
    boolean dollar = false;
    int depth = 0;
    for (; i < n; i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < n) {
        char d = text.charAt(i + 1);
        if (d == '(' || d == '[') {
          depth++;
        } else if ((d == ')' || d == ']') && depth > 0) {
          depth--;
        }
        i++;
        continue;
      }
      if (c == '$') {
        dollar = !dollar;
        if (i + 1 < n && text.charAt(i + 1) == '$') {
          i++;
        }
        continue;
      }
      if (c == '{') {
        depth++;
      } else if (c == '}' && depth > 0) {
        depth--;
      }
      if (dollar || depth > 0) {
        continue;
      }
      if (c == '\n') {
        break;
      }
      if ((c == '.' || c == '!' || c == '?') && (i + 1 == n || Character.isWhitespace(text.charAt(i + 1))
          || text.charAt(i + 1) == '"' || text.charAt(i + 1) == '*')) {
        break;
      }
      if (text.regionMatches(true, i, "I hope", 0, 6)) {
        break;
      }
    }
    String phrase = text.substring(start, i).strip();
    while (phrase.endsWith("*") || phrase.endsWith("\"") || phrase.endsWith(",")) {
      phrase = phrase.substring(0, phrase.length() - 1).strip();
    }
    while (phrase.startsWith("\"")) {
      phrase = phrase.substring(1).strip();
    }
    return phrase.isEmpty() ? null : phrase;
  }

  /**
   * Turns the phrase after an anchor into an answer: its box, its math spans when only
   * connectors surround them, or, for prose ("The volume of $V$ is 120"), what follows the last
   * "is"/"="; finally the last number of a sentence ("Jane started 3 hours ago").
   */
  static String answerFromPhrase(String phrase) {
    if (phrase.contains("\\boxed") || phrase.contains("\\fbox")) {
      List<int[]> boxes = trailingBoxes(phrase);
      if (!boxes.isEmpty()) {
        List<String> parts = new ArrayList<>();
        for (int[] b : boxes) {
          parts.add(phrase.substring(b[1], b[2]).strip());
        }
        return String.join(", ", parts);
      }
    }
    List<int[]> spans = mathSpans(phrase);
    if (!spans.isEmpty() && onlyConnectorsOutside(phrase, spans)) {
      return joinSpans(phrase, spans);
    }
    if (!isProse(phrase)) {
      String s = stripDelimiters(phrase);
      return s.isEmpty() ? null : s;
    }
    Matcher m = PROSE_TAIL.matcher(phrase);
    int tail = -1;
    while (m.find()) {
      if (!insideSpan(spans, m.start())) {
        tail = m.end();
      }
    }
    if (tail > 0 && tail < phrase.length()) {
      String rest = phrase.substring(tail).strip();
      String r = answerFromPhrase(rest);
      if (r != null) {
        return r;
      }
    }
    Extraction last = lastNumberOrSpan(phrase);
    if (last != null) {
      return last.answer();
    }
    return spans.isEmpty() ? stripDelimiters(phrase) : null;
  }

  /** Whether {@code pos} lies in one of {@code spans} (sorted, disjoint): binary search. */
  private static boolean insideSpan(List<int[]> spans, int pos) {
    int lo = 0;
    int hi = spans.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int[] s = spans.get(mid);
      if (pos < s[0]) {
        hi = mid - 1;
      } else if (pos >= s[3]) {
        lo = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- weak anchors and fallbacks

  /** "answer is X" or a bold **X**, whichever comes last; its position goes to {@code position[0]}. */
  private static Extraction weakAnchor(String text, int[] position) {
    Extraction best = null;
    int bestPos = -1;
    Matcher m = WEAK_ANCHOR.matcher(text);
    int anchor = -1;
    int anchorEnd = -1;
    while (m.find()) {
      anchor = m.start();
      anchorEnd = m.end();
    }
    if (anchor >= 0) {
      String phrase = phraseAfter(text, anchorEnd);
      String answer = phrase == null ? null : answerFromPhrase(phrase);
      if (answer != null && !answer.isBlank()) {
        best = new Extraction(answer, Source.ANSWER_IS);
        bestPos = anchor;
        position[0] = anchor;
      }
    }
    Matcher b = BOLD.matcher(text);
    int boldPos = -1;
    String bold = null;
    while (b.find()) {
      String c = b.group(1).strip();
      String lc = c.toLowerCase(Locale.ROOT);
      if (c.endsWith(":") || lc.startsWith("final answer") || lc.startsWith("step") || lc.startsWith("solution")
          || lc.startsWith("note") || lc.equals("answer")) {
        continue;
      }
      boldPos = b.start();
      bold = c;
    }
    if (bold != null && boldPos > bestPos) {
      String lc = bold.toLowerCase(Locale.ROOT);
      if (lc.startsWith("answer")) {
        bold = bold.substring(6).replaceFirst("^\\s*(?:is)?\\s*[:=]?", "");
      }
      String answer = answerFromPhrase(bold);
      if (answer != null && !answer.isBlank()) {
        best = new Extraction(answer, Source.BOLD);
        position[0] = boldPos;
      }
    }
    return best;
  }

  private static Extraction bare(String text) {
    List<int[]> spans = mathSpans(text);
    if (!spans.isEmpty()) {
      if (onlyConnectorsOutside(text, spans)) {
        return new Extraction(joinSpans(text, spans), Source.SPANS);
      }
      if (!isProse(text)) {
        return new Extraction(stripDelimiters(text), Source.BARE);
      }
      return lastNumberOrSpan(text);
    }
    if (!isProse(text)) {
      String s = stripDelimiters(text);
      return s.isEmpty() ? null : new Extraction(s, Source.BARE);
    }
    Extraction last = lastNumberOrSpan(text);
    if (last != null) {
      return last;
    }
    // A worded answer such as "Evelyn" or "The midpoints form a regular hexagon".
    return new Extraction(stripDelimiters(text), Source.BARE);
  }

  /**
   * For a long response without anchors: the last number or math span, taken only from a
   * concluding sentence ("Therefore, the probability is 2/3.") among the last three sentences.
   * A number in the middle of ongoing reasoning is not an answer.
   */
  static Extraction concludingNumber(String text, int[] position) {
    List<int[]> sentences = sentences(text);
    int checked = 0;
    for (int k = sentences.size() - 1; k >= 0 && checked < 3; k--, checked++) {
      String sentence = text.substring(sentences.get(k)[0], sentences.get(k)[1]);
      Extraction e = lastNumberOrSpan(sentence);
      if (e != null) {
        // The cue may sit in the sentence that introduces a displayed result ("The result is:").
        String context = k > 0 ? text.substring(sentences.get(k - 1)[0], sentences.get(k)[1]) : sentence;
        position[0] = sentences.get(k)[0];
        return CONCLUSION.matcher(context).find() ? e : null;
      }
    }
    return null;
  }

  /** Sentence bounds: split at ". ", "! ", "? " and line breaks outside math. */
  private static List<int[]> sentences(String text) {
    List<int[]> out = new ArrayList<>();
    List<int[]> spans = mathSpans(text);
    int start = 0;
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      boolean end = c == '\n' || ((c == '.' || c == '!' || c == '?') && (i + 1 == n || Character.isWhitespace(text.charAt(i + 1))));
      if (end && !insideSpan(spans, i)) {
        if (i + 1 > start && !text.substring(start, i + 1).isBlank()) {
          out.add(new int[] {start, i + 1});
        }
        start = i + 1;
      }
    }
    if (start < n && !text.substring(start).isBlank()) {
      out.add(new int[] {start, n});
    }
    return out;
  }

  /** Text that ends like a finished sentence or formula, not cut off mid-word. */
  static boolean looksFinished(String text) {
    String t = text.strip();
    while (t.endsWith("*") || t.endsWith("\"") || t.endsWith("'")) {
      t = t.substring(0, t.length() - 1).strip();
    }
    if (t.isEmpty()) {
      return false;
    }
    char c = t.charAt(t.length() - 1);
    return c == '.' || c == '!' || c == '?' || c == '$' || c == ')' || c == ']' || c == '}' || c == '%';
  }

  /**
   * The last number (outside math) or the last math span holding a digit, whichever ends later.
   * Joined spans ("$1$ and $2$") count as one.
   */
  static Extraction lastNumberOrSpan(String text) {
    List<int[]> spans = mathSpans(text);
    int[] lastSpan = null;
    for (int[] s : spans) {
      if (containsDigitOrMath(text, s[1], s[2])) {
        lastSpan = s;
      }
    }
    Matcher m = NUMBER.matcher(text);
    int numStart = -1;
    int numEnd = -1;
    while (m.find()) {
      if (!insideSpan(spans, m.start())) {
        numStart = m.start();
        numEnd = m.end();
      }
    }
    if (lastSpan != null && lastSpan[3] > numEnd) {
      return new Extraction(stripDelimiters(text.substring(lastSpan[1], lastSpan[2])), Source.SPANS);
    }
    if (numStart >= 0) {
      return new Extraction(text.substring(numStart, numEnd).strip(), Source.LAST_NUMBER);
    }
    return null;
  }

  private static boolean containsDigitOrMath(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (Character.isDigit(c) || c == '\\') {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- math spans

  /**
   * Math spans: $$..$$, \[..\], $..$, \(..\). Each entry is {open start, content start,
   * content end, close end}. Inline spans do not cross a newline (a '$' with a newline before
   * its partner is a stray dollar sign, as in "costs $5\n...").
   */
  static List<int[]> mathSpans(String s) {
    List<int[]> out = new ArrayList<>();
    int n = s.length();
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < n) {
        char d = s.charAt(i + 1);
        if (d == '[' || d == '(') {
          String closer = d == '[' ? "\\]" : "\\)";
          int end = s.indexOf(closer, i + 2);
          if (end >= 0 && (d == '[' || s.substring(i + 2, end).indexOf('\n') < 0)) {
            out.add(new int[] {i, i + 2, end, end + 2});
            i = end + 2;
            continue;
          }
        }
        i += 2;
        continue;
      }
      if (c == '$') {
        boolean display = i + 1 < n && s.charAt(i + 1) == '$';
        int contentStart = i + (display ? 2 : 1);
        int end = findClosingDollar(s, contentStart, display);
        if (end >= 0) {
          out.add(new int[] {i, contentStart, end, end + (display ? 2 : 1)});
          i = end + (display ? 2 : 1);
          continue;
        }
        i = contentStart;
        continue;
      }
      i++;
    }
    return out;
  }

  private static int findClosingDollar(String s, int from, boolean display) {
    for (int j = from; j < s.length(); j++) {
      char c = s.charAt(j);
      if (c == '\\') {
        j++;
        continue;
      }
      if (!display && c == '\n') {
        return -1;
      }
      if (c == '$') {
        if (display) {
          return j + 1 < s.length() && s.charAt(j + 1) == '$' ? j : -1;
        }
        return j > from ? j : -1;
      }
    }
    return -1;
  }

  private static final Pattern CONNECTORS_ONLY = Pattern.compile(
      "(?i)[\\s,;.:!*\"'()]*(?:(?:and|or|answer|the|is|final)[\\s,;.:!*\"']*)*");

  private static boolean onlyConnectorsOutside(String s, List<int[]> spans) {
    int prev = 0;
    for (int[] sp : spans) {
      if (!CONNECTORS_ONLY.matcher(s.substring(prev, sp[0])).matches()) {
        return false;
      }
      prev = sp[3];
    }
    return CONNECTORS_ONLY.matcher(s.substring(prev)).matches();
  }

  /** Span contents joined with the connecting text between them ("$1$ and $2$" -> "1 and 2"). */
  private static String joinSpans(String s, List<int[]> spans) {
    StringBuilder b = new StringBuilder();
    for (int k = 0; k < spans.size(); k++) {
      int[] sp = spans.get(k);
      if (k > 0) {
        String gap = s.substring(spans.get(k - 1)[3], sp[0]).strip();
        b.append(gap.isEmpty() ? " " : " " + gap + " ");
      }
      b.append(s, sp[1], sp[2]);
    }
    return b.toString().strip();
  }

  /** Removes math delimiters and a trailing period: "$x = 3$." becomes "x = 3". */
  static String stripDelimiters(String s) {
    String t = s.strip();
    t = t.replace("\\[", " ").replace("\\]", " ").replace("\\(", " ").replace("\\)", " ");
    t = t.replaceAll("(?<!\\\\)\\$", " ").strip();
    while (t.endsWith(".") || t.endsWith(",") || t.endsWith(";") || t.endsWith("*")) {
      t = t.substring(0, t.length() - 1).strip();
    }
    while (t.startsWith("*")) {
      t = t.substring(1).strip();
    }
    return t;
  }

  // ---------------------------------------------------------------- prose

  private static final java.util.Set<String> NON_PROSE = java.util.Set.of(
      "and", "or", "percent", "percentage", "pct", "sin", "cos", "tan", "cot", "sec", "csc", "log",
      "sqrt", "exp", "infinity", "inf", "pi", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
      "max", "min", "gcd", "lcm", "mod");

  /**
   * Whether the text reads as a sentence: it holds a word of three or more letters that is not a
   * LaTeX command, not inside \text{...}, and not a math word such as "sin" or "percent".
   */
  static boolean isProse(String s) {
    int n = s.length();
    int textDepthEnd = -1;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        int j = i + 1;
        while (j < n && Character.isLetter(s.charAt(j))) {
          j++;
        }
        String cmd = s.substring(i + 1, j);
        if (cmd.equals("begin") || cmd.equals("end")) {
          int open = j;
          if (open < n && s.charAt(open) == '{') {
            int end = matchBrace(s, open);
            j = end < 0 ? n : end + 1;
          }
        } else if (cmd.startsWith("text") || cmd.equals("mbox") || cmd.startsWith("math") || cmd.equals("operatorname")) {
          int open = j;
          while (open < n && s.charAt(open) == ' ') {
            open++;
          }
          if (open < n && s.charAt(open) == '{') {
            int end = matchBrace(s, open);
            textDepthEnd = end < 0 ? n : end;
          }
        }
        i = Math.max(i, j - 1);
        continue;
      }
      if (i < textDepthEnd) {
        continue;
      }
      if (Character.isLetter(c)) {
        int j = i;
        while (j < n && Character.isLetter(s.charAt(j))) {
          j++;
        }
        if (j - i >= 3 && !NON_PROSE.contains(s.substring(i, j).toLowerCase(Locale.ROOT))) {
          return true;
        }
        i = j - 1;
      }
    }
    return false;
  }

  static int lastIndexOfIgnoreCase(String text, String needle) {
    int n = needle.length();
    for (int i = text.length() - n; i >= 0; i--) {
      if (text.regionMatches(true, i, needle, 0, n)) {
        return i;
      }
    }
    return -1;
  }
}
