package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading refuses checkpoints whose tensors do not match the declared architecture, naming what
 * is wrong, and accepts the extras transformers accepts (inv_freq buffers, a tied lm_head).
 */
class StrictLoadingTest {
  static NDManager manager;
  static final long[][] SEQ = {{1, 5, 9, 2, 33, 7}};

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() {
    manager = TestModels.manager();
  }

  @AfterAll
  static void tearDown() {
    manager.close();
  }

  /** Saves a randomized model of {@code c} to tmp/name, returning its logits of {@link #SEQ}. */
  private float[] save(ModelConfig c, String name) throws Exception {
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(c, 4, m);
      TestModels.randomize(t, 31);
      Checkpoint.save(t, c, tmp.resolve(name), DataType.FLOAT32, null);
      return t.logits(m, SEQ).toFloatArray();
    }
  }

  private void setConfigKey(Path dir, String key, String jsonValue) throws Exception {
    JsonObject cfg = JsonParser.parseString(Files.readString(dir.resolve("config.json")))
        .getAsJsonObject();
    cfg.add(key, JsonParser.parseString(jsonValue));
    Files.writeString(dir.resolve("config.json"), cfg.toString());
  }

  private IllegalArgumentException loadFails(Path dir) {
    try (NDManager m = manager.newSubManager()) {
      return assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir, m).close());
    }
  }

  @Test
  void qwen3RelabelledLlamaNamesTheUnusedTensor() throws Exception {
    // Same shapes everywhere except the q_norm/k_norm tensors llama lacks: without the check
    // this loaded and scored several nats off.
    ModelConfig q3 = new ModelConfig("qwen3", 40, 32, 64, 2, 4, 2, 8, 256, 1e-6, 10000.0, null,
        false, false, false, null, java.util.List.of(), null);
    save(q3, "q3");
    Path dir = tmp.resolve("q3");
    setConfigKey(dir, "model_type", "\"llama\"");
    IllegalArgumentException e = loadFails(dir);
    assertTrue(e.getMessage().contains("tensor model.layers.0.self_attn.q_norm.weight")
        && e.getMessage().contains("not used by a llama model")
        && e.getMessage().contains("(nor are 3 more)"), e.getMessage());
  }

  @Test
  void qwen2RelabelledLlamaNamesTheBias() throws Exception {
    save(TestModels.qwen(40), "q2");
    Path dir = tmp.resolve("q2");
    setConfigKey(dir, "model_type", "\"llama\"");
    IllegalArgumentException e = loadFails(dir);
    assertTrue(e.getMessage().contains("model.layers.0.self_attn.q_proj.bias"), e.getMessage());
  }

  @Test
  void llamaRelabelledQwen3NamesTheMissingTensor() throws Exception {
    ModelConfig llama = new ModelConfig("llama", 40, 32, 64, 2, 4, 2, 8, 256, 1e-6, 10000.0, null,
        false, false, false, null, java.util.List.of(), null);
    save(llama, "ll");
    Path dir = tmp.resolve("ll");
    setConfigKey(dir, "model_type", "\"qwen3\"");
    IllegalArgumentException e = loadFails(dir);
    assertTrue(e.getMessage().contains("missing tensor model.layers.0.self_attn.q_norm.weight")
        && e.getMessage().contains("qwen3"), e.getMessage());
  }

  @Test
  void unknownModelTypeNamesItAndTheSupportedOnes() throws Exception {
    save(TestModels.qwen3(40), "mt");
    Path dir = tmp.resolve("mt");
    setConfigKey(dir, "model_type", "\"gemma3\"");
    IllegalArgumentException e = loadFails(dir);
    assertTrue(e.getMessage().contains("'gemma3'")
        && e.getMessage().contains("qwen2, qwen3, llama"), e.getMessage());
  }

  @Test
  void foreignTensorIsNamed() throws Exception {
    save(TestModels.qwen3(40), "extra");
    Path dir = tmp.resolve("extra");
    CheckpointFiles.addTensor(dir, "model.layers.0.mlp.experts.0.weight", "model.norm.weight");
    IllegalArgumentException e = loadFails(dir);
    assertTrue(e.getMessage().contains("model.layers.0.mlp.experts.0.weight"), e.getMessage());
  }

  @Test
  void rotaryBuffersAndAnEqualTiedHeadAreAccepted() throws Exception {
    ModelConfig c = TestModels.qwen3(40);
    float[] expected = save(c, "ok");
    Path dir = tmp.resolve("ok");
    CheckpointFiles.addTensor(dir, "model.layers.0.self_attn.rotary_emb.inv_freq",
        "model.norm.weight");
    CheckpointFiles.addTensor(dir, "lm_head.weight", "model.embed_tokens.weight");
    try (NDManager m = manager.newSubManager(); LoadedModel lm = Checkpoint.load(dir, m)) {
      assertEquals(c, lm.config());
      assertFalse(lm.model().weights().containsKey("lm_head.weight"));
      assertArrayEquals(expected, lm.model().logits(m, SEQ).toFloatArray());
    }
  }

  @Test
  void tiedHeadSavedWithoutTheEmbeddingServesAsBoth() throws Exception {
    ModelConfig c = TestModels.qwen3(40);
    float[] expected = save(c, "headonly");
    Path dir = tmp.resolve("headonly");
    CheckpointFiles.edit(dir, t -> t.put("lm_head.weight", t.remove("model.embed_tokens.weight")));
    try (NDManager m = manager.newSubManager(); LoadedModel lm = Checkpoint.load(dir, m)) {
      assertEquals(c, lm.config());
      assertArrayEquals(expected, lm.model().logits(m, SEQ).toFloatArray());
    }
  }

  @Test
  void tiedConfigWithADifferentHeadLoadsUntied() throws Exception {
    ModelConfig untied = TestModels.qwen3(40).withTieWordEmbeddings(false);
    float[] expected = save(untied, "claims");
    Path dir = tmp.resolve("claims");
    setConfigKey(dir, "tie_word_embeddings", "true");
    try (NDManager m = manager.newSubManager(); LoadedModel lm = Checkpoint.load(dir, m)) {
      assertEquals(untied, lm.config());
      assertArrayEquals(expected, lm.model().logits(m, SEQ).toFloatArray());
    }
  }

  @Test
  void shapeMismatchOfAQkNormIsNamed() throws Exception {
    save(TestModels.qwen3(40), "shape");
    Path dir = tmp.resolve("shape");
    setConfigKey(dir, "head_dim", "8"); // q_norm is [16] in the file; q_proj [64, 32] too
    IllegalArgumentException e = loadFails(dir);
    assertTrue(e.getMessage().contains("has shape") && e.getMessage().contains("self_attn"),
        e.getMessage());
  }
}
