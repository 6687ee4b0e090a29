package dev.retort.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench train-memory}: peak RSS and tokens/s of the in-process SFT trainer on a
 * Qwen2.5-0.5B-shaped student (by default; the shape options change it) at one row of
 * {@code --seq-len} tokens per step, with the chunked
 * cross-entropy. Last line: {@code RESULT train-memory peak_rss_gb=... tokens_per_s=... chunked=true ...}.
 */
@Command(name = "train-memory", mixinStandardHelpOptions = true,
    description = "Benchmark: peak RSS and tokens/s of SFT on a Qwen2.5-0.5B-shaped student, chunked loss (needs ~12 GB).")
public final class TrainMemoryBench implements Callable<Integer> {
  @Option(names = "--steps", defaultValue = "2", description = "Optimizer steps per arm; tokens/s times all but the first when > 1 (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--seq-len", defaultValue = "2048", description = "Tokens per step, one packed row (default ${DEFAULT-VALUE}).")
  int seqLen;

  @Option(names = "--loss-chunk", defaultValue = "512", description = "Positions per span of the chunked cross-entropy (default ${DEFAULT-VALUE}).")
  int lossChunk;

  @Option(names = "--recompute", defaultValue = "true", negatable = true, fallbackValue = "true",
      description = "Activation recomputation in the main arm (default ${DEFAULT-VALUE}).")
  boolean recompute;

  @Option(names = "--unchunked-seq-len", defaultValue = "0",
      description = "Also run an unchunked arm (full logits, no recomputation) at this row length first, in the same "
          + "process: what it leaves resident counts in the main arm's peak (0: none).")
  int unchunkedSeqLen;

  @Option(names = "--hidden-size", defaultValue = "896", description = "Student width (default ${DEFAULT-VALUE}: Qwen2.5-0.5B).")
  int hiddenSize;

  @Option(names = "--layers", defaultValue = "24", description = "Decoder layers (default ${DEFAULT-VALUE}).")
  int layers;

  @Option(names = "--heads", defaultValue = "14", description = "Attention heads (default ${DEFAULT-VALUE}).")
  int heads;

  @Option(names = "--kv-heads", defaultValue = "2", description = "Key/value heads (default ${DEFAULT-VALUE}).")
  int kvHeads;

  @Option(names = "--intermediate-size", defaultValue = "4864", description = "MLP width (default ${DEFAULT-VALUE}).")
  int intermediateSize;

  @Option(names = "--vocab-size", defaultValue = "151936", description = "Vocabulary, tied embeddings (default ${DEFAULT-VALUE}).")
  int vocabSize;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "More settings under train (repeatable), e.g. threads=2.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--work", paramLabel = "DIR", description = "Scratch folder, kept (default: a temporary folder, deleted).")
  Path work;

  @Override
  public Integer call() {
    TrainMemoryBenchmark.Shape shape = new TrainMemoryBenchmark.Shape(hiddenSize, layers, heads, kvHeads,
        intermediateSize, vocabSize);
    TrainMemoryBenchmark.Result r = TrainMemoryBenchmark.run(new TrainMemoryBenchmark.Options(shape, steps, seqLen,
        lossChunk, recompute, unchunkedSeqLen, work, overrides), System.out::println);
    System.out.println(r.resultLine());
    return 0;
  }
}
