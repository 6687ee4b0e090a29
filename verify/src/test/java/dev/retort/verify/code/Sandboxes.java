package dev.retort.verify.code;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * The bubblewrap sandbox for tests (this module's and, through its test-jar, the filter's): when it cannot be used here a test needing it fails in CI
 * ({@code CI=true}, where .ci/run installs bubblewrap) and is skipped elsewhere, with the reason.
 */
public final class Sandboxes {
  private static PythonSandbox box;
  private static String unavailable;

  private Sandboxes() {}

  public static synchronized PythonSandbox bwrap() {
    if (box == null && unavailable == null) {
      try {
        box = PythonSandbox.create(PythonSandbox.Mode.BWRAP);
      } catch (PythonSandbox.UnavailableException e) {
        unavailable = e.getMessage();
      }
    }
    if (box == null) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("the code sandbox is required in CI: " + unavailable);
      }
      Assumptions.abort("code sandbox unavailable, test skipped: " + unavailable);
    }
    return box;
  }

  /** A verifier on the shared test sandbox. */
  public static CodeVerifier verifier(CodeLimits limits) {
    PythonSandbox b = bwrap();
    return new CodeVerifier(() -> b, limits);
  }
}
