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

  /** Qwen3-0.6B's config.json as transformers 4.51 wrote it (v4 layout). */
  static final String QWEN3_06B_V4 = "{\"architectures\":[\"Qwen3ForCausalLM\"],\"attention_bias\":false,"
      + "\"attention_dropout\":0.0,\"bos_token_id\":151643,\"eos_token_id\":151645,\"head_dim\":128,"
      + "\"hidden_act\":\"silu\",\"hidden_size\":1024,\"initializer_range\":0.02,"
      + "\"intermediate_size\":3072,\"max_position_embeddings\":40960,\"max_window_layers\":28,"
      + "\"model_type\":\"qwen3\",\"num_attention_heads\":16,\"num_hidden_layers\":28,"
      + "\"num_key_value_heads\":8,\"rms_norm_eps\":1e-06,\"rope_scaling\":null,"
      + "\"rope_theta\":1000000,\"sliding_window\":null,\"tie_word_embeddings\":true,"
      + "\"torch_dtype\":\"bfloat16\",\"transformers_version\":\"4.51.0\",\"use_cache\":true,"
      + "\"use_sliding_window\":false,\"vocab_size\":151936}";

  /** The same model as transformers v5 writes it: rope_parameters, dtype, layer_types. */
  static final String QWEN3_06B_V5 = QWEN3_06B_V4
      .replace("\"rope_scaling\":null,\"rope_theta\":1000000,",
          "\"rope_parameters\":{\"rope_theta\":1000000.0,\"rope_type\":\"default\"},")
      .replace("\"torch_dtype\":\"bfloat16\"", "\"dtype\":\"bfloat16\"")
      .replace("\"max_window_layers\":28,", "\"max_window_layers\":28,\"layer_types\":["
          + String.join(",", java.util.Collections.nCopies(28, "\"full_attention\"")) + "],");

  @Test
  void readsQwen3InBothConfigLayoutsAndCountsItsParameters() {
    ModelConfig v4 = ModelConfig.fromJson(json(QWEN3_06B_V4));
    ModelConfig v5 = ModelConfig.fromJson(json(QWEN3_06B_V5));
    assertEquals(v4, v5);
    assertEquals("qwen3", v4.modelType());
    assertEquals(128, v4.headDim()); // != 1024 / 16
    assertEquals(1e6, v4.ropeTheta());
    assertTrue(v4.qkNorm());
    assertFalse(v4.qkvBias());
    assertFalse(v4.oBias());
    assertTrue(v4.tieWordEmbeddings());
    assertEquals(40960, v4.maxPositionEmbeddings());
    // Qwen3-0.6B: 596,049,920 parameters (q_norm and k_norm included, tied head counted once).
    assertEquals(596_049_920L, v4.parameterCount());
    // Qwen3Config's defaults when keys are absent: head_dim 128, attention_bias false.
    ModelConfig bare = ModelConfig.fromJson(json(QWEN3_06B_V4.replace("\"head_dim\":128,", "")
        .replace("\"attention_bias\":false,", "")));
    assertEquals(v4, bare);
    ModelConfig biased = ModelConfig.fromJson(json(QWEN3_06B_V4.replace("\"attention_bias\":false",
        "\"attention_bias\":true")));
    assertTrue(biased.qkvBias());
    assertTrue(biased.oBias());
  }

  @Test
  void readsLlama3RopeScalingInBothLayoutsAsTransformersV5Does() {
    String v4 = "{\"model_type\":\"llama\",\"vocab_size\":128256,\"hidden_size\":2048,"
        + "\"intermediate_size\":8192,\"num_hidden_layers\":16,\"num_attention_heads\":32,"
        + "\"num_key_value_heads\":8,\"head_dim\":64,\"rope_theta\":500000.0,"
        + "\"rope_scaling\":{\"factor\":32.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
        + "\"original_max_position_embeddings\":8192,\"rope_type\":\"llama3\"},"
        + "\"tie_word_embeddings\":true,\"torch_dtype\":\"bfloat16\"}";
    String v5 = "{\"model_type\":\"llama\",\"vocab_size\":128256,\"hidden_size\":2048,"
        + "\"intermediate_size\":8192,\"num_hidden_layers\":16,\"num_attention_heads\":32,"
        + "\"num_key_value_heads\":8,\"head_dim\":64,"
        + "\"rope_parameters\":{\"factor\":32.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
        + "\"original_max_position_embeddings\":8192,\"rope_type\":\"llama3\",\"rope_theta\":500000.0},"
        + "\"tie_word_embeddings\":true,\"dtype\":\"bfloat16\"}";
    ModelConfig a = ModelConfig.fromJson(json(v4));
    ModelConfig b = ModelConfig.fromJson(json(v5));
    assertEquals(a, b);
    assertEquals(500000.0, a.ropeTheta());
    assertEquals(32.0, a.ropeScaling().factor());
    // v5: rope_parameters' own rope_theta wins over a leftover top-level one.
    ModelConfig c = ModelConfig.fromJson(json(v5.replace("\"head_dim\":64,",
        "\"head_dim\":64,\"rope_theta\":10000.0,")));
    assertEquals(500000.0, c.ropeTheta());
    // A legacy rope_scaling wins over rope_parameters (v5 convert_rope_params_to_dict), and the
    // top-level rope_theta fills in when it has none.
    ModelConfig d = ModelConfig.fromJson(json(v4.replace("\"rope_theta\":500000.0,",
        "\"rope_theta\":500000.0,\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":7.0},")));
    assertEquals(a, d);
    // A v5 rope type we do not implement is named.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelConfig.fromJson(json(v5.replace("\"rope_type\":\"llama3\"", "\"rope_type\":\"yarn\""))));
    assertTrue(e.getMessage().contains("rope_parameters") && e.getMessage().contains("yarn"),
        e.getMessage());
  }

  @Test
  void unknownModelTypeAndSlidingLayersAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelConfig.fromJson(json(QWEN3_06B_V4.replace("\"model_type\":\"qwen3\"",
            "\"model_type\":\"mistral\""))));
    assertTrue(e.getMessage().contains("'mistral'")
        && e.getMessage().contains("supported: qwen2, qwen3, llama"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(json(
        QWEN3_06B_V5.replaceFirst("\"full_attention\"", "\"sliding_attention\""))));
    assertTrue(e.getMessage().contains("sliding_attention"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(json(
        QWEN3_06B_V4.replace("\"model_type\":\"qwen3\",", ""))));
    assertTrue(e.getMessage().contains("model_type") && e.getMessage().contains("qwen3"),
        e.getMessage());
  }

  @Test
  void writeThenReadRoundTrips() throws Exception {
    for (ModelConfig c : List.of(TestModels.qwen(50), TestModels.llama(60), TestModels.qwen3(70),
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
