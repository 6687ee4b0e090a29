package dev.retort.verify;

/**
 * Exact string match of the extracted answer, for answers that are names or codes rather than
 * math. Comparison ignores surrounding whitespace, runs of inner whitespace, math delimiters and a
 * trailing period; it is case-sensitive.
 */
public final class ExactVerifier implements Verifier {

  @Override
  public Verification verify(String gold, String response) {
    if (gold == null || gold.isBlank()) {
      return new Verification(false, null, Verification.PARSE_ERROR);
    }
    if (response == null || response.isBlank() || AnswerExtractor.unfinishedThinking(response)) {
      return new Verification(false, null, Verification.NO_ANSWER);
    }
    String want = normalize(gold);
    String extracted = AnswerExtractor.extract(response).orElse(null);
    if (extracted == null) {
      return new Verification(false, null, Verification.NO_ANSWER);
    }
    boolean ok = normalize(extracted).equals(want) || normalize(response).equals(want);
    return new Verification(ok, extracted, ok ? Verification.EQUAL : Verification.NOT_EQUAL);
  }

  static String normalize(String s) {
    String t = AnswerExtractor.stripDelimiters(s).replaceAll("\\s+", " ").strip();
    if (t.startsWith("\\text{") && t.endsWith("}")) {
      t = t.substring(6, t.length() - 1).strip();
    }
    return t;
  }
}
