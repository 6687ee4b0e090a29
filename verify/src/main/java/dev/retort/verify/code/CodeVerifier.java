package dev.retort.verify.code;

import dev.retort.verify.Verification;
import dev.retort.verify.Verifier;
import java.util.List;
import java.util.function.Supplier;

/**
 * Answer type {@code code}: the final fenced code block of a response, run in a
 * {@link PythonSandbox} against the problem's tests; the reference answer is the tests as JSON
 * (see {@link CodeTest#parseJson}).
 *
 * <p>Tests run in order and stop at the first one that fails; the verdict's reason is that
 * test's (see {@link CodeVerdict}). A stdin/stdout test passes when the process exits 0 and its
 * stdout matches line by line; an assertion test passes when the assertion program, run after
 * the solution in the same namespace, runs to its end and the process exits 0 (a solution that
 * exits before the assertions ran is a wrong answer). An {@code AssertionError} is a wrong
 * answer, any other exception a runtime error.
 *
 * <p>Thread-safe. The sandbox is created on first use, so a verifier for a data set with no code
 * prompts never needs bubblewrap; when it is needed and missing, {@link #verify} throws
 * {@link PythonSandbox.UnavailableException}, which is a setup error and not a verdict.
 */
public final class CodeVerifier implements Verifier {
  private final CodeLimits limits;
  private final Supplier<PythonSandbox> sandboxFactory;
  private volatile PythonSandbox sandbox;

  public CodeVerifier(PythonSandbox.Mode mode, CodeLimits limits) {
    this(() -> PythonSandbox.create(mode), limits);
  }

  CodeVerifier(Supplier<PythonSandbox> sandboxFactory, CodeLimits limits) {
    this.sandboxFactory = sandboxFactory;
    this.limits = limits;
  }

  /**
   * With the sandbox named by the system property {@code retort.code.sandbox} or the environment
   * variable {@code RETORT_CODE_SANDBOX} ({@code bwrap} unless one says {@code unsafe-local}) and
   * the default limits.
   */
  public static CodeVerifier defaults() {
    String mode = System.getProperty("retort.code.sandbox", System.getenv().getOrDefault("RETORT_CODE_SANDBOX", "bwrap"));
    return new CodeVerifier(PythonSandbox.Mode.parse(mode), CodeLimits.defaults());
  }

  private static volatile CodeVerifier shared;

  /**
   * One {@link #defaults()} verifier per JVM, so its sandbox is checked once; what the filter,
   * eval and GRPO get for answer type {@code code}.
   */
  public static CodeVerifier shared() {
    CodeVerifier v = shared;
    if (v == null) {
      synchronized (CodeVerifier.class) {
        if (shared == null) {
          shared = defaults();
        }
        v = shared;
      }
    }
    return v;
  }

  /** The same sandbox with other limits. */
  public CodeVerifier withLimits(CodeLimits other) {
    return other.equals(limits) ? this : new CodeVerifier(this::sandbox, other);
  }

  public CodeLimits limits() {
    return limits;
  }

  /** The sandbox, created (and checked) on first call. */
  public PythonSandbox sandbox() {
    PythonSandbox s = sandbox;
    if (s == null) {
      synchronized (this) {
        if (sandbox == null) {
          sandbox = sandboxFactory.get();
        }
        s = sandbox;
      }
    }
    return s;
  }

  /** @param gold the tests as JSON; extracted is the code that ran, reason the verdict's reason */
  @Override
  public Verification verify(String gold, String response) {
    List<CodeTest> tests;
    try {
      tests = CodeTest.parseJson(gold);
    } catch (IllegalArgumentException e) {
      return new Verification(false, null, Verification.PARSE_ERROR);
    }
    CodeVerdict v = run(tests, response);
    return new Verification(v.correct(), v.code(), v.reason());
  }

  /** Extracts the response's code and runs it against the tests. */
  public CodeVerdict run(List<CodeTest> tests, String response) {
    var code = CodeExtractor.extract(response);
    if (code.isEmpty() || !CodeExtractor.isPython(code.get().language())) {
      return new CodeVerdict(CodeVerdict.NO_CODE, -1,
          code.isEmpty() ? "no complete fenced code block" : "not Python: " + code.get().language(), 0, null);
    }
    return runCode(tests, code.get().source());
  }

  /** Runs source code (already extracted) against the tests. */
  public CodeVerdict runCode(List<CodeTest> tests, String source) {
    if (tests.isEmpty()) {
      return new CodeVerdict(CodeVerdict.BAD_TESTS, -1, "no tests", 0, source);
    }
    boolean assertions = tests.get(0).isAssertion();
    if (tests.stream().anyMatch(t -> t.isAssertion() != assertions)) {
      return new CodeVerdict(CodeVerdict.BAD_TESTS, -1, "stdin/stdout and assertion tests mixed", 0, source);
    }
    try (PythonSandbox.Session s = sandbox().open(source, assertions, limits)) {
      for (int i = 0; i < tests.size(); i++) {
        CodeTest t = tests.get(i);
        PythonSandbox.Run r = s.run(t);
        String failure = judge(t, r);
        if (failure != null) {
          return new CodeVerdict(failure, i, detail(t, r, failure), i + 1, source);
        }
      }
      return new CodeVerdict(CodeVerdict.ACCEPTED, -1, "", tests.size(), source);
    }
  }

  /** The reason a test failed, or null when it passed. */
  static String judge(CodeTest t, PythonSandbox.Run r) {
    return switch (r.status()) {
      case "compile" -> CodeVerdict.COMPILE_ERROR;
      case "memory" -> CodeVerdict.MEMORY_LIMIT;
      case "cpu", "wall" -> CodeVerdict.TIMEOUT;
      case "output_limit", "file_limit" -> CodeVerdict.OUTPUT_LIMIT;
      case "exit" -> {
        if (r.exitCode() != 0) {
          yield t.isAssertion() && lastLine(r.stderr()).startsWith("AssertionError")
              ? CodeVerdict.WRONG_ANSWER : CodeVerdict.RUNTIME_ERROR;
        }
        if (t.isAssertion()) {
          yield r.completed() ? null : CodeVerdict.WRONG_ANSWER;
        }
        yield CodeTest.sameOutput(t.output(), r.stdout()) ? null : CodeVerdict.WRONG_ANSWER;
      }
      // A process killed while out of memory (an allocation the interpreter could not recover from).
      case "signal" -> r.stderr().contains("MemoryError") ? CodeVerdict.MEMORY_LIMIT : CodeVerdict.RUNTIME_ERROR;
      default -> CodeVerdict.RUNTIME_ERROR;
    };
  }

  private static String detail(CodeTest t, PythonSandbox.Run r, String reason) {
    StringBuilder b = new StringBuilder();
    if (reason.equals(CodeVerdict.WRONG_ANSWER) && !t.isAssertion()) {
      b.append("input: ").append(clip(t.input(), 200)).append("\nexpected: ").append(clip(t.output(), 200))
          .append("\ngot: ").append(clip(r.stdout(), 200));
    } else if (reason.equals(CodeVerdict.WRONG_ANSWER) && r.exitCode() == 0) {
      b.append("the program exited before its assertions finished");
    } else {
      b.append(r.status());
      if (r.exitCode() >= 0) {
        b.append(" exit=").append(r.exitCode());
      }
      if (r.signal() > 0) {
        b.append(" signal=").append(r.signal());
      }
      String err = r.stderr().strip();
      if (!err.isEmpty()) {
        b.append("\n").append(clip(tailLines(err, 3), 400));
      }
    }
    if (t.isAssertion()) {
      b.append("\ntest: ").append(clip(t.assertion(), 200));
    }
    return b.toString();
  }

  private static String lastLine(String s) {
    String t = s.strip();
    int i = t.lastIndexOf('\n');
    return i < 0 ? t : t.substring(i + 1);
  }

  private static String tailLines(String s, int n) {
    String[] lines = s.split("\n");
    return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - n), lines.length));
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n) + "...";
  }
}
