package dev.retort.model;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The Python reference scripts the tests compare against (numpy transcription of transformers'
 * forward, jinja2 configured as transformers renders templates): a check that python3 has what
 * they import, and one way to run them.
 */
public final class PythonRef {
  private PythonRef() {}

  /**
   * Skips the calling test when python3 lacks one of {@code modules}, except under CI=true, where
   * that is a failure (a reference that silently never runs checks nothing).
   */
  public static void require(String... modules) {
    boolean ok = imports("python3", modules);
    String what = "python3 with " + String.join(", ", modules);
    if (!ok && "true".equals(System.getenv("CI"))) {
      fail(what + " is required when CI=true");
    }
    assumeTrue(ok, what + " not available: the comparison with the reference is not made");
  }

  /**
   * The Python of {@code bin/python-env} (torch, transformers, TRL, accelerate, datasets, pyarrow):
   * {@code RETORT_PYTHON} from the environment, else the repository's {@code .venv}. Sets the
   * {@code retort.python} system property to it (where the TRL trainer looks after the
   * environment). Skips the calling test without one, except under CI=true, where that is a failure.
   */
  public static String ecosystem() {
    Optional<String> python = ecosystemIfPresent();
    assumeTrue(python.isPresent(), "the Python of bin/python-env (RETORT_PYTHON or .venv) not available:"
        + " the check against transformers/TRL/datasets/pyarrow is not made");
    return python.get();
  }

  /**
   * {@link #ecosystem()} for a test that also checks other things: empty instead of skipping
   * (under CI=true still a failure).
   */
  public static synchronized Optional<String> ecosystemIfPresent() {
    if (ecosystem == null) {
      ecosystem = findEcosystem();
    }
    if (ecosystem.isPresent()) {
      System.setProperty("retort.python", ecosystem.get());
    }
    return ecosystem;
  }

  /** What {@link #ecosystemIfPresent()} found (checked once per test JVM: importing torch takes seconds). */
  private static Optional<String> ecosystem;

  private static Optional<String> findEcosystem() {
    String env = System.getenv("RETORT_PYTHON");
    Path python = env != null && !env.isBlank() ? Path.of(env) : null;
    if (python == null) {
      for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
        if (Files.isRegularFile(d.resolve("bin").resolve("python-env"))) {
          python = d.resolve(".venv").resolve("bin").resolve("python");
          break;
        }
      }
    }
    boolean ok = python != null && Files.isExecutable(python)
        && imports(python.toString(), "torch", "transformers", "trl", "accelerate", "datasets", "pyarrow");
    String what = "the Python of bin/python-env (RETORT_PYTHON or .venv; " + (python == null ? "none found" : python) + ")";
    if (!ok && "true".equals(System.getenv("CI")) && System.getenv("RETORT_PYTHON_ENV_FAILED") == null) {
      fail(what + " is required when CI=true (.ci/run makes it with bin/python-env)");
    }
    if (!ok) {
      System.out.println(what + " not available (bin/python-env makes it): the check against transformers/TRL/datasets/pyarrow is not made");
      return Optional.empty();
    }
    return Optional.of(python.toString());
  }

  /** Whether {@code python} imports every one of {@code modules}. */
  private static boolean imports(String python, String... modules) {
    try {
      Process p = new ProcessBuilder(python, "-c", "import " + String.join(", ", modules)).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Runs {@code command} with {@code stdin}; its stdout, or an exception naming the command. */
  public static String run(List<String> command, String stdin) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(command + " failed: " + out);
    }
    return out;
  }
}
