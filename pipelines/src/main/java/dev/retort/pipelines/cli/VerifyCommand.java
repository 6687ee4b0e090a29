package dev.retort.pipelines.cli;

import dev.retort.verify.JsonlVerification;
import dev.retort.verify.MathVerifier;
import dev.retort.verify.Verifier;
import dev.retort.verify.Verifiers;
import dev.retort.verify.code.CodeJsonl;
import dev.retort.verify.code.CodeLimits;
import dev.retort.verify.code.CodeVerifier;
import dev.retort.verify.code.PythonSandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort verify --input IN.jsonl --output OUT.jsonl}: each row's {@code gold} and
 * {@code response} are verified; rows come back with all their fields plus {@code correct},
 * {@code extracted} and {@code reason}. Malformed rows are written with reason
 * "malformed_row: ..." and counted on stderr; they do not fail the run.
 *
 * <p>{@code --type code}: rows {@code {response, tests}} are run in the code sandbox instead (see
 * {@link CodeJsonl}) and come back with {@code correct} and {@code reason}.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, description = "Verify responses against gold answers (JSONL in, JSONL out).")
public final class VerifyCommand implements Callable<Integer> {

  @Option(names = "--input", required = true, paramLabel = "IN.jsonl",
      description = "JSONL rows with 'gold' and 'response' (a full model output or a bare answer).")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "OUT.jsonl",
      description = "Where the rows are written with 'correct', 'extracted' and 'reason' added.")
  Path output;

  @Option(names = "--type", defaultValue = "math",
      description = "Answer type: number, math, choice, string or code (default: ${DEFAULT-VALUE}).")
  String type;

  @Option(names = "--sandbox", paramLabel = "bwrap|unsafe-local",
      description = "code: how solutions are isolated; unsafe-local runs them WITHOUT isolation, for trusted "
          + "single-user setups only (default: $RETORT_CODE_SANDBOX, else bwrap).")
  String sandbox;

  @Option(names = "--cpu-seconds", defaultValue = "" + CodeLimits.DEFAULT_CPU_SECONDS,
      description = "code: CPU limit of one test, unless a row sets cpu_limit_s (default: ${DEFAULT-VALUE}).")
  double cpuSeconds;

  @Option(names = "--memory-mb", defaultValue = "" + (CodeLimits.DEFAULT_MEMORY_BYTES >> 20),
      description = "code: memory limit of one test, unless a row sets memory_limit_mb (default: ${DEFAULT-VALUE}).")
  long memoryMb;

  @Option(names = "--timeout-ms", defaultValue = "" + MathVerifier.Options.DEFAULT_TIMEOUT_MILLIS,
      description = "Time limit of one verification in milliseconds (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(input)) {
      throw new IllegalArgumentException("--input: file not found: " + input);
    }
    if (timeoutMs <= 0) {
      throw new IllegalArgumentException("--timeout-ms must be > 0, got " + timeoutMs);
    }
    if ("code".equalsIgnoreCase(type.strip())) {
      return verifyCode();
    }
    Verifier verifier = Verifiers.forAnswerType(type, MathVerifier.Options.defaults().withTimeoutMillis(timeoutMs));
    long t0 = System.nanoTime();
    JsonlVerification.Stats stats = JsonlVerification.run(input, output, verifier);
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.err.printf("retort verify: %d rows, %d correct, %d malformed, %.2f s -> %s%n",
        stats.rows(), stats.correct(), stats.malformed(), seconds, output);
    return 0;
  }

  private int verifyCode() throws Exception {
    String mode = sandbox != null ? sandbox : System.getenv().getOrDefault("RETORT_CODE_SANDBOX", "bwrap");
    CodeVerifier verifier = new CodeVerifier(PythonSandbox.Mode.parse(mode),
        CodeLimits.of(cpuSeconds, memoryMb << 20));
    verifier.sandbox(); // a missing sandbox fails here, with its message, before any row
    long t0 = System.nanoTime();
    CodeJsonl.Stats stats = CodeJsonl.run(input, output, verifier, Runtime.getRuntime().availableProcessors());
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.err.printf("retort verify --type code (sandbox %s): %d rows, %d correct, %d malformed, %.2f s -> %s%n",
        verifier.sandbox().mode().code(), stats.rows(), stats.correct(), stats.malformed(), seconds, output);
    return 0;
  }
}
