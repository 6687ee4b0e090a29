package dev.retort.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Random-weight checkpoints in Hub layout for tests of the modules that load models. */
public final class TinyCheckpoints {
  private TinyCheckpoints() {}

  /**
   * A two-layer qwen2 checkpoint with the project's char-level tokenizer and ChatML, ending turns at
   * {@code <|im_end|>}: {@code root/tiny-teacher} (the tokenizer is staged in {@code root/tok}).
   */
  public static Path chatml(Path root) throws Exception {
    Path ck = root.resolve("tiny-teacher");
    Path tokDir = root.resolve("tok");
    Files.createDirectories(tokDir);
    CharTokenizer.write(tokDir.resolve("tokenizer.json"));
    try (Tokenizer tok = Tokenizer.load(tokDir); NDManager m = NDManager.newBaseManager(Device.cpu())) {
      ModelConfig cfg = new ModelConfig("qwen2", tok.vocabSize(), 32, 64, 2, 4, 2, 8, 512, 1e-6, 10000.0, null, true,
          false, false, null, List.of(tok.requireTokenId(ChatTemplate.IM_END)), null);
      Transformer t = Transformer.create(cfg, 3, m);
      Checkpoint.save(t, cfg, ck, DataType.FLOAT32, tok);
    }
    return ck;
  }
}
