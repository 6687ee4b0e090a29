package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares our logits with an independent numpy transcription of transformers' Qwen2/Qwen3/Llama
 * forward (src/test/python/hf_reference.py) on checkpoints we write: F32 and BF16 files, tied
 * and untied heads, GQA, q/k/v(/o/mlp) biases, Qwen3's q_norm/k_norm with head_dim != hidden /
 * heads, llama3 rope scaling, sharded weights, transformers v5 config layout. Each checkpoint is
 * also loaded by transformers itself (src/test/python/hf_transformers.py, with bin/python-env's
 * Python where it is there) and compared the same way. Skipped where python3 with numpy is
 * missing. Each case prints its largest logprob difference.
 */
class HfReferenceTest {
  static NDManager manager;
  static final Path SCRIPT = Paths.get("src/test/python/hf_reference.py").toAbsolutePath();
  static final Path TRANSFORMERS = Paths.get("src/test/python/hf_transformers.py").toAbsolutePath();
  static final long[][] SEQS = {{1, 5, 9, 2, 33, 7, 7, 30, 4, 11, 25, 3}, {12, 0, 39}};

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() {
    manager = TestModels.manager();
  }

  @AfterAll
  static void tearDown() {
    manager.close();
  }

  static JsonObject reference(Path dir, long[][] seqs) throws Exception {
    return reference(List.of("python3", SCRIPT.toString()), dir, seqs);
  }

  /** The same from {@code command} (hf_reference.py, or hf_transformers.py with bin/python-env's Python). */
  static JsonObject reference(List<String> command, Path dir, long[][] seqs) throws Exception {
    StringBuilder arg = new StringBuilder("[");
    for (int i = 0; i < seqs.length; i++) {
      arg.append(i == 0 ? "" : ",").append(java.util.Arrays.toString(seqs[i]));
    }
    arg.append("]");
    List<String> cmd = new java.util.ArrayList<>(command);
    cmd.addAll(List.of(dir.toString(), arg.toString()));
    return JsonParser.parseString(PythonRef.run(cmd, "")).getAsJsonObject();
  }

  private void check(ModelConfig config, DataType dtype, long shardBytes) throws Exception {
    PythonRef.require("numpy");
    Path dir = tmp.resolve(config.modelType() + "-" + dtype + "-" + shardBytes);
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(config, 3, m);
      TestModels.randomize(t, 17);
      Checkpoint.save(t, config, dir, dtype, null, shardBytes);
    }
    compare(dir, config);
  }

  /**
   * Our logits and logprobs of {@link #SEQS} against the numpy reference on checkpoint {@code dir},
   * and against transformers itself where bin/python-env's Python is there.
   */
  private void compare(Path dir, ModelConfig config) throws Exception {
    compare(dir, config, "numpy reference", reference(dir, SEQS));
    Optional<String> python = PythonRef.ecosystemIfPresent();
    if (python.isPresent()) {
      compare(dir, config, "transformers", reference(List.of(python.get(), TRANSFORMERS.toString()), dir, SEQS));
    }
  }

  private void compare(Path dir, ModelConfig config, String what, JsonObject ref) throws Exception {
    try (NDManager m = manager.newSubManager();
        LoadedModel lm = Checkpoint.load(dir, m)) {
      double worst = 0;
      double worstLogprob = 0;
      for (int s = 0; s < SEQS.length; s++) {
        NDArray ours = lm.model().logits(m, new long[][] {SEQS[s]});
        float[] flat = ours.toFloatArray();
        JsonArray rows = ref.getAsJsonArray("logits").get(s).getAsJsonArray();
        int v = config.vocabSize();
        for (int i = 0; i < rows.size(); i++) {
          JsonArray r = rows.get(i).getAsJsonArray();
          for (int j = 0; j < v; j++) {
            worst = Math.max(worst, Math.abs(flat[i * v + j] - r.get(j).getAsDouble()));
          }
        }
        double[] lp = lm.sampler().logprobs(toInts(SEQS[s]));
        JsonArray rlp = ref.getAsJsonArray("logprobs").get(s).getAsJsonArray();
        assertEquals(rlp.size(), lp.length);
        for (int i = 0; i < lp.length; i++) {
          assertEquals(rlp.get(i).getAsDouble(), lp[i], 1e-4, what + ": logprob " + i);
          worstLogprob = Math.max(worstLogprob, Math.abs(rlp.get(i).getAsDouble() - lp[i]));
        }
      }
      System.out.printf("HfReferenceTest %s: max |logprob - %s| %.3g, max |logit - %s| %.3g%n",
          dir.getFileName(), what, worstLogprob, what, worst);
      assertEquals(0, worst, 1e-4, "max |logit - " + what + "|");
    }
  }

  static int[] toInts(long[] a) {
    int[] out = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = (int) a[i];
    }
    return out;
  }

  @Test
  void qwen2TiedGqaBiasF32() throws Exception {
    check(TestModels.qwen(40), DataType.FLOAT32, Checkpoint.DEFAULT_MAX_SHARD_BYTES);
  }

  @Test
  void qwen2Bf16Sharded() throws Exception {
    check(TestModels.qwen(40), DataType.BFLOAT16, 20_000);
  }

  @Test
  void llamaUntiedBiasRopeScalingF32() throws Exception {
    check(TestModels.llama(40), DataType.FLOAT32, Checkpoint.DEFAULT_MAX_SHARD_BYTES);
  }

  @Test
  void llamaPlainGqaBf16() throws Exception {
    ModelConfig c = new ModelConfig("llama", 40, 48, 64, 3, 6, 2, 8, 64, 1e-5, 10000.0, null,
        false, false, false, null, List.of(), null);
    check(c, DataType.BFLOAT16, Checkpoint.DEFAULT_MAX_SHARD_BYTES);
  }

  @Test
  void qwen2UntiedExplicitHeadDim() throws Exception {
    // head_dim (16) differs from hidden_size / heads (8), as some Qwen-family configs do.
    ModelConfig c = new ModelConfig("qwen2", 40, 32, 64, 2, 4, 1, 16, 64, 1e-6, 1000000.0, null,
        false, false, false, null, List.of(), null);
    check(c, DataType.FLOAT32, Checkpoint.DEFAULT_MAX_SHARD_BYTES);
  }

  @Test
  void qwen3TiedGqaF32() throws Exception {
    check(TestModels.qwen3(40), DataType.FLOAT32, Checkpoint.DEFAULT_MAX_SHARD_BYTES);
  }

  @Test
  void qwen3Bf16Sharded() throws Exception {
    check(TestModels.qwen3(40), DataType.BFLOAT16, 20_000);
  }

  @Test
  void qwen3UntiedWideHeadsAttentionBiasBf16() throws Exception {
    // head_dim 16 with hidden 48 and 6 heads (48 / 6 = 8), untied head, attention_bias on
    // q/k/v/o, MHA-free GQA 6 -> 3, rope_theta of the Qwen3 releases.
    ModelConfig c = new ModelConfig("qwen3", 40, 48, 64, 2, 6, 3, 16, 256, 1e-6, 1000000.0, null,
        false, true, false, null, List.of(), null);
    check(c, DataType.BFLOAT16, Checkpoint.DEFAULT_MAX_SHARD_BYTES);
  }

  @Test
  void qwen3UntiedHeadDimBelowHiddenOverHeadsF32Sharded() throws Exception {
    // head_dim 4 < 32 / 4: q_proj maps 32 -> 16 and o_proj 16 -> 32.
    ModelConfig c = new ModelConfig("qwen3", 40, 32, 64, 3, 4, 1, 4, 256, 1e-5, 10000.0, null,
        false, false, false, null, List.of(), null);
    check(c, DataType.FLOAT32, 4_000);
  }

  @Test
  void qwen3WithTransformersV5ConfigLayout() throws Exception {
    PythonRef.require("numpy");
    // config.json as transformers v5 writes it: rope_parameters, dtype, layer_types, and
    // lm_head.weight saved beside a tied embedding (equal values).
    ModelConfig c = new ModelConfig("qwen3", 40, 32, 64, 2, 4, 2, 16, 256, 1e-6, 1000000.0, null,
        true, false, false, null, List.of(), null);
    Path dir = tmp.resolve("qwen3-v5");
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(c, 3, m);
      TestModels.randomize(t, 19);
      Checkpoint.save(t, c, dir, DataType.BFLOAT16, null);
    }
    CheckpointFiles.addTensor(dir, "lm_head.weight", "model.embed_tokens.weight");
    Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"Qwen3ForCausalLM\"],"
        + "\"model_type\":\"qwen3\",\"vocab_size\":40,\"hidden_size\":32,\"intermediate_size\":64,"
        + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
        + "\"head_dim\":16,\"max_position_embeddings\":256,\"rms_norm_eps\":1e-06,"
        + "\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":1000000.0},"
        + "\"layer_types\":[\"full_attention\",\"full_attention\"],\"attention_bias\":false,"
        + "\"tie_word_embeddings\":true,\"use_sliding_window\":false,\"sliding_window\":null,"
        + "\"max_window_layers\":28,\"dtype\":\"bfloat16\",\"transformers_version\":\"5.0.0\","
        + "\"use_cache\":true,\"attention_dropout\":0.0,\"hidden_act\":\"silu\"}");
    compare(dir, c);
  }

  @Test
  void llamaWithTransformersV5RopeParameters() throws Exception {
    PythonRef.require("numpy");
    ModelConfig c = TestModels.llama(40);
    Path dir = tmp.resolve("llama-v5");
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(c, 3, m);
      TestModels.randomize(t, 23);
      Checkpoint.save(t, c, dir, DataType.FLOAT32, null);
    }
    JsonObject cfg = JsonParser.parseString(Files.readString(dir.resolve("config.json")))
        .getAsJsonObject();
    JsonObject rp = cfg.getAsJsonObject("rope_scaling");
    rp.addProperty("rope_theta", cfg.get("rope_theta").getAsDouble());
    cfg.remove("rope_scaling");
    cfg.remove("rope_theta");
    cfg.add("rope_parameters", rp);
    cfg.add("dtype", cfg.remove("torch_dtype"));
    Files.writeString(dir.resolve("config.json"), cfg.toString());
    compare(dir, c);
  }

  @Test
  void tiedConfigWithDifferentSavedHeadIsUntiedAsTransformersDoes() throws Exception {
    PythonRef.require("numpy");
    // An untied model whose config claims tie_word_embeddings: transformers v5 keeps the saved
    // lm_head.weight when it differs from the embedding, and so do we.
    ModelConfig untied = new ModelConfig("qwen3", 40, 32, 64, 2, 4, 2, 8, 256, 1e-6, 10000.0,
        null, false, false, false, null, List.of(), null);
    Path dir = tmp.resolve("qwen3-claims-tied");
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(untied, 3, m);
      TestModels.randomize(t, 29);
      Checkpoint.save(t, untied, dir, DataType.FLOAT32, null);
    }
    JsonObject cfg = JsonParser.parseString(Files.readString(dir.resolve("config.json")))
        .getAsJsonObject();
    cfg.addProperty("tie_word_embeddings", true);
    Files.writeString(dir.resolve("config.json"), cfg.toString());
    compare(dir, untied);
    try (NDManager m = manager.newSubManager();
        LoadedModel lm = Checkpoint.load(dir, m)) {
      assertEquals(false, lm.config().tieWordEmbeddings());
    }
  }

  @Test
  void handWrittenHfConfigLoads() throws Exception {
    PythonRef.require("numpy");
    // A config.json as transformers writes it (no head_dim, extra keys, eos list), with weights
    // from our writer: checks key defaults and that unknown-but-harmless keys are ignored.
    Path dir = tmp.resolve("hf");
    ModelConfig c = TestModels.qwen(40);
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(c, 5, m);
      TestModels.randomize(t, 8);
      Checkpoint.save(t, c, dir, DataType.FLOAT32, null);
    }
    Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"Qwen2ForCausalLM\"],"
        + "\"model_type\":\"qwen2\",\"vocab_size\":40,\"hidden_size\":32,\"intermediate_size\":64,"
        + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
        + "\"max_position_embeddings\":128,\"rms_norm_eps\":1e-06,\"rope_theta\":10000.0,"
        + "\"rope_scaling\":null,\"tie_word_embeddings\":true,\"use_sliding_window\":false,"
        + "\"sliding_window\":4096,\"max_window_layers\":21,\"torch_dtype\":\"bfloat16\","
        + "\"transformers_version\":\"4.43.1\",\"use_cache\":true,\"attention_dropout\":0.0,"
        + "\"bos_token_id\":1,\"eos_token_id\":[2,3],\"hidden_act\":\"silu\","
        + "\"initializer_range\":0.02}");
    JsonObject ref = reference(dir, new long[][] {SEQS[0]});
    try (NDManager m = manager.newSubManager();
        LoadedModel lm = Checkpoint.load(dir, m)) {
      assertEquals(List.of(2, 3), lm.config().eosTokenIds());
      float[] ours = lm.model().logits(m, new long[][] {SEQS[0]}).toFloatArray();
      JsonArray rows = ref.getAsJsonArray("logits").get(0).getAsJsonArray();
      for (int i = 0; i < rows.size(); i++) {
        for (int j = 0; j < 40; j++) {
          assertEquals(rows.get(i).getAsJsonArray().get(j).getAsDouble(), ours[i * 40 + j], 1e-4);
        }
      }
    }
  }
}
