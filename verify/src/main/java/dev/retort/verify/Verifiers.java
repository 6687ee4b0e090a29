package dev.retort.verify;

import dev.retort.verify.code.CodeVerifier;
import java.util.List;
import java.util.Locale;

/** Picks the verifier for a dataset's answer type. */
public final class Verifiers {
  /** The answer types {@link #forAnswerType} accepts. */
  public static final List<String> TYPES = List.of("number", "math", "choice", "string", "code");

  private Verifiers() {}

  /**
   * "number" and "math": {@link MathVerifier} (numbers are its first, cheapest case); "choice":
   * {@link MultipleChoiceVerifier}; "string": {@link ExactVerifier}; "code": the JVM's shared
   * {@link CodeVerifier} (sandboxed execution; the reference answer holds the tests as JSON).
   *
   * @throws IllegalArgumentException for any other type, naming the accepted ones
   */
  public static Verifier forAnswerType(String type) {
    return forAnswerType(type, MathVerifier.Options.defaults());
  }

  /**
   * The JVM's verifier for {@code type} with default options, made once (verifiers are
   * thread-safe): what eval scores with, in the driver and in Spark tasks alike.
   */
  public static Verifier shared(String type) {
    return SHARED.computeIfAbsent(type, Verifiers::forAnswerType);
  }

  private static final java.util.concurrent.ConcurrentHashMap<String, Verifier> SHARED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** As {@link #forAnswerType(String)}, with options for the math verifier. */
  public static Verifier forAnswerType(String type, MathVerifier.Options mathOptions) {
    String t = type == null ? "" : type.strip().toLowerCase(Locale.ROOT);
    return switch (t) {
      case "number", "math" -> new MathVerifier(mathOptions);
      case "choice" -> new MultipleChoiceVerifier();
      case "string" -> new ExactVerifier();
      case "code" -> CodeVerifier.shared();
      default -> throw new IllegalArgumentException(
          "unknown answer type '" + type + "'; expected one of " + String.join(", ", TYPES));
    };
  }
}
