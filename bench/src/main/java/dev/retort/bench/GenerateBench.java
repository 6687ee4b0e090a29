package dev.retort.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench generate}: batched KV-cache generation throughput and the speedup over
 * recomputing the prefix each step (no-cache arm sampled and extrapolated; see
 * {@link GenerateBenchmark}). Defaults: batch 32, 256 new tokens, ~10.5M-parameter model.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Benchmark: batched generation tokens/s and KV-cache speedup.")
public final class GenerateBench implements Callable<Integer> {
  @Option(names = "--batch", defaultValue = "32")
  int batch;

  @Option(names = "--new-tokens", defaultValue = "256")
  int newTokens;

  @Option(names = "--prompt-tokens", defaultValue = "16")
  int promptTokens;

  @Option(names = "--nocache-stride", defaultValue = "32",
      description = "Measure the no-cache arm every N steps (plus the last) and interpolate.")
  int stride;

  @Option(names = "--seed", defaultValue = "1")
  long seed;

  @Override
  public Integer call() {
    if (batch <= 0 || newTokens <= 0 || promptTokens <= 0 || stride <= 0) {
      throw new IllegalArgumentException("--batch, --new-tokens, --prompt-tokens and "
          + "--nocache-stride must be positive");
    }
    GenerateBenchmark.Options d = GenerateBenchmark.Options.defaults();
    GenerateBenchmark.Options o = new GenerateBenchmark.Options(batch, promptTokens, newTokens,
        d.hidden(), d.layers(), d.heads(), d.kvHeads(), d.intermediate(), d.vocab(), stride, seed);
    GenerateBenchmark.Result r = GenerateBenchmark.run(o, System.out::println);
    System.out.println(r.resultLine());
    return 0;
  }
}
