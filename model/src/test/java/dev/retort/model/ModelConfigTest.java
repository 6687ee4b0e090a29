package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
  @TempDir Path tmp;

  static JsonObject json(String s) {
    return JsonParser.parseString(s).getAsJsonObject();
  }

  static final String QWEN_05B = "{\"architectures\":[\"Qwen2ForCausalLM\"],\"attention_dropout\":0.0,"
      + "\"bos_token_id\":151643,\"eos_token_id\":151645,\"hidden_act\":\"silu\",\"hidden_size\":896,"
      + "\"initializer_range\":0.02,\"intermediate_size\":4864,\"max_position_embeddings\":32768,"
      + "\"max_window_layers\":21,\"model_type\":\"qwen2\",\"num_attention_heads\":14,"
      + "\"num_hidden_layers\":24,\"num_key_value_heads\":2,\"rms_norm_eps\":1e-06,"
      + "\"rope_theta\":1000000.0,\"sliding_window\":32768,\"tie_word_embeddings\":true,"
      + "\"torch_dtype\":\"bfloat16\",\"transformers_version\":\"4.43.1\",\"use_cache\":true,"
      + "\"use_sliding_window\":false,\"vocab_size\":151936}";

  @Test
  void readsQwen25ConfigWithHfDefaultsAndCountsItsParameters() {
    ModelConfig c = ModelConfig.fromJson(json(QWEN_05B));
    assertEquals(64, c.headDim());
    assertTrue(c.qkvBias());
    assertFalse(c.oBias());
    assertTrue(c.tieWordEmbeddings());
    assertEquals(List.of(151645), c.eosTokenIds());
    assertNull(c.ropeScaling());
    // Qwen2.5-0.5B has 494,032,768 parameters (transformers' num_parameters()).
    assertEquals(494_032_768L, c.parameterCount());
  }

  @Test
  void readsLlama31RopeScalingAndDefaults() {
    String llama = "{\"model_type\":\"llama\",\"vocab_size\":128256,\"hidden_size\":4096,"
        + "\"intermediate_size\":14336,\"num_hidden_layers\":32,\"num_attention_heads\":32,"
        + "\"num_key_value_heads\":8,\"rope_theta\":500000.0,\"rope_scaling\":{\"factor\":8.0,"
        + "\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
        + "\"original_max_position_embeddings\":8192,\"rope_type\":\"llama3\"},"
        + "\"eos_token_id\":[128001,128008,128009]}";
    ModelConfig c = ModelConfig.fromJson(json(llama));
    assertFalse(c.tieWordEmbeddings()); // key absent: LlamaConfig's default
    assertFalse(c.qkvBias());
    assertEquals(128, c.headDim());
    assertEquals(1e-6, c.rmsNormEps());
    assertEquals(8192, c.ropeScaling().originalMaxPositionEmbeddings());
    assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
    // Llama 3.1 8B: 8,030,261,248 parameters.
    assertEquals(8_030_261_248L, c.parameterCount());
    float[] inv = Transformer.inverseFrequencies(c);
    // Highest frequency kept, lowest divided by the factor (wavelength beyond 8192 / 1).
    assertEquals(1.0f, inv[0]);
    float plainLowest = 1.0f / (float) Math.pow(500000.0, 126.0 / 128);
    assertEquals(plainLowest / 8, inv[63], plainLowest * 1e-5);
  }

  @Test
  void errorsNameTheField() {
    String base = QWEN_05B.replace("\"hidden_size\":896,", "");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelConfig.fromJson(json(base)));
    assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(json(
        QWEN_05B.replace("\"model_type\":\"qwen2\"", "\"model_type\":\"gpt2\""))));
    assertTrue(e.getMessage().contains("model_type"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(json(
        QWEN_05B.replace("\"use_cache\":true", "\"use_cache\":true,\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4.0}"))));
    assertTrue(e.getMessage().contains("rope_scaling") && e.getMessage().contains("yarn"),
        e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(json(
        QWEN_05B.replace("\"use_cache\":true", "\"use_cache\":true,\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0}"))));
    assertTrue(e.getMessage().contains("rope_scaling.original_max_position_embeddings"),
        e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(json(
        QWEN_05B.replace("\"num_key_value_heads\":2", "\"num_key_value_heads\":4"))));
    assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(json(
        QWEN_05B.replace("\"hidden_act\":\"silu\"", "\"hidden_act\":\"gelu\""))));
    assertTrue(e.getMessage().contains("hidden_act"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(json(
        QWEN_05B.replace("\"use_sliding_window\":false", "\"use_sliding_window\":true"))));
    assertTrue(e.getMessage().contains("use_sliding_window"), e.getMessage());
  }

  @Test
  void writeThenReadRoundTrips() throws Exception {
    for (ModelConfig c : List.of(TestModels.qwen(50), TestModels.llama(60),
        TestModels.qwen(50).withSpecialTokens(1, List.of(2, 3), 4))) {
      Path f = tmp.resolve(c.modelType() + c.eosTokenIds().size() + ".json");
      c.write(f);
      assertEquals(c, ModelConfig.read(f));
    }
    Path bad = tmp.resolve("bad.json");
    Files.writeString(bad, "[1,2]");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelConfig.read(bad));
    assertTrue(e.getMessage().contains("bad.json"), e.getMessage());
  }

  @Test
  void flopsAccountingFollowsTheDocumentedFormula() {
    ModelConfig c = TestModels.qwen(100); // d 32, 4 heads x 8, 2 kv heads, ff 64, 2 layers
    double matmul = 2 * (2 * 32 * 32 + 2 * 32 * 16 + 3 * 32 * 64) + 100 * 32;
    assertEquals(2 * matmul + 4.0 * 2 * 32 * 10, c.flopsPerToken(10));
    assertEquals(3 * c.flopsPerToken(10), c.trainingFlopsPerToken(10));
  }
}
