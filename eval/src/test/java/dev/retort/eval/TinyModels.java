package dev.retort.eval;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.retort.model.CharTokenizer;
import dev.retort.model.Checkpoint;
import dev.retort.model.ModelConfig;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Tiny random checkpoints made with the model module's own API (character tokenizer, Qwen2 layout). */
final class TinyModels {
  static {
    // Two cores shared with other builds: keep torch from oversubscribing them.
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
  }

  private TinyModels() {}

  /** Writes a randomly initialized ~40k-parameter checkpoint to {@code dir}. */
  static Path checkpoint(Path dir, long seed) throws Exception {
    Path tokDir = Files.createTempDirectory("tok");
    Path tokFile = tokDir.resolve("tokenizer.json");
    CharTokenizer.write(tokFile);
    try (Tokenizer tok = Tokenizer.load(tokFile); NDManager m = NDManager.newBaseManager()) {
      ModelConfig cfg = ModelConfig.of(ModelConfig.QWEN2, tok.vocabSize(), 32, 64, 1, 2, 1, true)
          .withSpecialTokens(null, List.of(tok.requireTokenId(dev.retort.model.ChatTemplate.IM_END)), tok.padId());
      Transformer t = Transformer.create(cfg, seed, m);
      Checkpoint.save(t, cfg, dir, DataType.FLOAT32, tok);
    }
    return dir;
  }
}
