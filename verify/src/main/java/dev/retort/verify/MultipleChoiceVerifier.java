package dev.retort.verify;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Multiple choice: the reference is a letter A-J ("C", "(C)", "\text{(C)}"); the response's
 * choice is the letter of its extracted answer ("\boxed{C}", "The answer is (C)", "C) 42"), or
 * else the last explicit "answer is/Answer: X" or standalone "(X)" in its final text.
 */
public final class MultipleChoiceVerifier implements Verifier {
  /** "C", "(C) 17", "C) 17", "C. 17", "Option C"; not "I am sure" or "A good idea". */
  private static final Pattern LEADING_CHOICE = Pattern.compile(
      "^(?:(?:option|choice|answer)\\s*[:\\-]?\\s*)?(?:\\(([A-J])\\)|([A-J])(?:[.:)]|$))", Pattern.CASE_INSENSITIVE);
  private static final Pattern ANSWER_CHOICE = Pattern.compile(
      "(?i)answer(?:\\s+is)?\\s*[:\\-]?\\s*\\**\\s*\\(?([A-J])\\)?(?![A-Za-z])");
  private static final Pattern PAREN_CHOICE = Pattern.compile("\\(([A-J])\\)");

  @Override
  public Verification verify(String gold, String response) {
    Optional<Character> want = gold == null ? Optional.empty() : choiceOf(gold);
    if (want.isEmpty()) {
      return new Verification(false, null, Verification.PARSE_ERROR);
    }
    if (response == null || response.isBlank() || AnswerExtractor.unfinishedThinking(response)) {
      return new Verification(false, null, Verification.NO_ANSWER);
    }
    Optional<Character> got = AnswerExtractor.extract(response).flatMap(MultipleChoiceVerifier::choiceOf);
    if (got.isEmpty()) {
      got = fromText(response);
    }
    if (got.isEmpty()) {
      return new Verification(false, null, Verification.NO_ANSWER);
    }
    boolean ok = got.get().equals(want.get());
    return new Verification(ok, String.valueOf(got.get()), ok ? Verification.EQUAL : Verification.NOT_EQUAL);
  }

  /** The choice letter an answer names, upper-cased; empty when it names none. */
  public static Optional<Character> choiceOf(String answer) {
    String s = answer.replaceAll("\\\\(?:text|textbf|mathrm|mathbf)\\s*\\{([^{}]*)\\}", "$1")
        .replace("$", "").replace("*", "").strip();
    Matcher m = LEADING_CHOICE.matcher(s);
    if (m.find()) {
      String letter = m.group(1) != null ? m.group(1) : m.group(2);
      return Optional.of(Character.toUpperCase(letter.charAt(0)));
    }
    return Optional.empty();
  }

  private static Optional<Character> fromText(String response) {
    int close = response.lastIndexOf("</think>");
    String text = close >= 0 ? response.substring(close + 8) : response;
    Character found = null;
    Matcher m = ANSWER_CHOICE.matcher(text);
    while (m.find()) {
      found = Character.toUpperCase(m.group(1).charAt(0));
    }
    if (found == null) {
      m = PAREN_CHOICE.matcher(text);
      while (m.find()) {
        found = m.group(1).charAt(0);
      }
    }
    return Optional.ofNullable(found);
  }
}
