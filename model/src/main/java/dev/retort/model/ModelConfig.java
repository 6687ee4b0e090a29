package dev.retort.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The architecture of a decoder, mirroring a Hugging Face {@code config.json} of model_type
 * {@code qwen2}, {@code qwen3} or {@code llama}. Field names follow the JSON keys; defaults are the
 * ones transformers' {@code Qwen2Config} / {@code Qwen3Config} / {@code LlamaConfig} use when a key
 * is absent. Both config layouts are read: transformers v4 ({@code rope_theta}, {@code
 * rope_scaling}, {@code torch_dtype}) and v5 ({@code rope_parameters} holding rope_type,
 * rope_theta and the scaling fields; {@code dtype}).
 *
 * <p>Also holds the parameter and FLOP accounting, so that the numbers a report quotes come from
 * the same place the model's shapes do.
 *
 * @param modelType "qwen2", "qwen3" or "llama"
 * @param vocabSize rows of the embedding and LM head (may exceed the tokenizer's vocabulary)
 * @param hiddenSize d_model
 * @param intermediateSize width of the SwiGLU MLP
 * @param numHiddenLayers number of decoder layers
 * @param numAttentionHeads query heads
 * @param numKeyValueHeads key/value heads (grouped-query attention when fewer than query heads)
 * @param headDim per-head width; hidden_size / num_attention_heads unless the config says otherwise
 * @param maxPositionEmbeddings longest context the checkpoint was trained for (not enforced)
 * @param rmsNormEps epsilon inside RMSNorm's rsqrt
 * @param ropeTheta rotary base
 * @param ropeScaling null, or Llama 3 style frequency scaling
 * @param tieWordEmbeddings LM head shares the embedding matrix
 * @param attentionBias Llama's and Qwen3's q/k/v/o bias switch; Qwen2 always has q/k/v bias and
 *     no o bias
 * @param mlpBias Llama's gate/up/down bias switch; always false for Qwen2 and Qwen3
 * @param bosTokenId may be null
 * @param eosTokenIds may be empty; HF allows an int or a list
 * @param padTokenId may be null
 */
public record ModelConfig(
    String modelType,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    int maxPositionEmbeddings,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    boolean mlpBias,
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    Integer padTokenId) {

  public static final String QWEN2 = "qwen2";
  public static final String LLAMA = "llama";
  public static final String QWEN3 = "qwen3";

  /** The model_type values this class and {@link Transformer} implement. */
  public static final List<String> SUPPORTED_TYPES = List.of(QWEN2, QWEN3, LLAMA);

  /**
   * Llama 3.1+ rope scaling ({@code rope_type: "llama3"}): low frequencies are divided by
   * {@code factor}, high ones kept, the band between interpolated.
   */
  public record RopeScaling(
      String ropeType,
      double factor,
      double lowFreqFactor,
      double highFreqFactor,
      int originalMaxPositionEmbeddings) {}

  public ModelConfig {
    eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
    validate(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers,
        numAttentionHeads, numKeyValueHeads, headDim);
  }

  /** A config with HF defaults for everything but the shape; handy for tiny teachers and students. */
  public static ModelConfig of(String modelType, int vocabSize, int hiddenSize, int intermediateSize,
      int layers, int heads, int kvHeads, boolean tieWordEmbeddings) {
    return new ModelConfig(modelType, vocabSize, hiddenSize, intermediateSize, layers, heads,
        kvHeads, hiddenSize / heads, LLAMA.equals(modelType) ? 2048 : 32768, 1e-6, 10000.0, null,
        tieWordEmbeddings, false, false, null, List.of(), null);
  }

  /** Whether q/k/v projections carry a bias: always for Qwen2, attention_bias otherwise. */
  public boolean qkvBias() {
    return QWEN2.equals(modelType) || attentionBias;
  }

  /** Whether o_proj carries a bias: never for Qwen2, attention_bias otherwise. */
  public boolean oBias() {
    return !QWEN2.equals(modelType) && attentionBias;
  }

  /**
   * Whether queries and keys pass a per-head RMSNorm ({@code self_attn.q_norm} / {@code k_norm},
   * weights of size head_dim) before the rotary embedding: Qwen3 only.
   */
  public boolean qkNorm() {
    return QWEN3.equals(modelType);
  }

  /** The transformers class name written to {@code architectures}. */
  public String architecture() {
    return switch (modelType) {
      case QWEN2 -> "Qwen2ForCausalLM";
      case QWEN3 -> "Qwen3ForCausalLM";
      default -> "LlamaForCausalLM";
    };
  }

  /** The first eos id, or null. */
  public Integer eosTokenId() {
    return eosTokenIds.isEmpty() ? null : eosTokenIds.get(0);
  }

  public ModelConfig withSpecialTokens(Integer bos, List<Integer> eos, Integer pad) {
    return new ModelConfig(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers,
        numAttentionHeads, numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta,
        ropeScaling, tieWordEmbeddings, attentionBias, mlpBias, bos, eos, pad);
  }

  public ModelConfig withVocabSize(int newVocabSize) {
    return new ModelConfig(modelType, newVocabSize, hiddenSize, intermediateSize, numHiddenLayers,
        numAttentionHeads, numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta,
        ropeScaling, tieWordEmbeddings, attentionBias, mlpBias, bosTokenId, eosTokenIds, padTokenId);
  }

  public ModelConfig withTieWordEmbeddings(boolean tie) {
    return new ModelConfig(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers,
        numAttentionHeads, numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta,
        ropeScaling, tie, attentionBias, mlpBias, bosTokenId, eosTokenIds, padTokenId);
  }

  // ---------------------------------------------------------------- accounting

  /** Parameters of one decoder layer (norms, attention with biases, MLP). */
  public long parametersPerLayer() {
    long d = hiddenSize;
    long q = (long) numAttentionHeads * headDim;
    long kv = (long) numKeyValueHeads * headDim;
    long attn = d * q + 2 * d * kv + q * d;
    if (qkvBias()) {
      attn += q + 2 * kv;
    }
    if (oBias()) {
      attn += d;
    }
    long mlp = 3 * d * intermediateSize + (mlpBias ? 2L * intermediateSize + d : 0);
    return attn + mlp + 2 * d + (qkNorm() ? 2L * headDim : 0);
  }

  /** All parameters, counting a tied LM head once (as HF's num_parameters() does). */
  public long parameterCount() {
    long embed = (long) vocabSize * hiddenSize;
    return embed + (tieWordEmbeddings ? 0 : embed) + numHiddenLayers * parametersPerLayer()
        + hiddenSize;
  }

  /**
   * Forward FLOPs per token at the given context length:
   * {@code 2 * (L * matmulParamsPerLayer + V * d) + 4 * L * H * headDim * context}. The first term
   * is one multiply-add per weight of every matmul (the LM head counts even when tied, the
   * embedding lookup does not); the second is QK^T and PV against {@code context} keys (the
   * PaLM/nanoGPT convention: full context, no causal halving). Norms, RoPE, softmax are ignored.
   */
  public double flopsPerToken(int contextLength) {
    long d = hiddenSize;
    long q = (long) numAttentionHeads * headDim;
    long kv = (long) numKeyValueHeads * headDim;
    double matmul = numHiddenLayers * (double) (2 * d * q + 2 * d * kv + 3 * d * intermediateSize)
        + (double) vocabSize * d;
    return 2 * matmul + 4.0 * numHiddenLayers * q * contextLength;
  }

  /** Training FLOPs per token: forward plus a backward of twice its cost (the "6N" rule). */
  public double trainingFlopsPerToken(int contextLength) {
    return 3 * flopsPerToken(contextLength);
  }

  // ---------------------------------------------------------------- JSON

  /** Reads an HF config.json; unsupported values and missing required keys name the key. */
  public static ModelConfig read(Path configJson) throws IOException {
    String text = Files.readString(configJson, StandardCharsets.UTF_8);
    JsonObject o;
    try {
      o = JsonParser.parseString(text).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new IllegalArgumentException(configJson + ": not a JSON object: " + e.getMessage(), e);
    }
    try {
      return fromJson(o);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
    }
  }

  /** Parses the JSON object of an HF config. */
  public static ModelConfig fromJson(JsonObject o) {
    String type = str(o, "model_type", null);
    if (type == null) {
      throw new IllegalArgumentException("missing required field model_type (supported: "
          + String.join(", ", SUPPORTED_TYPES) + ")");
    }
    type = type.toLowerCase(Locale.ROOT);
    checkType(type);
    String act = str(o, "hidden_act", "silu");
    if (!"silu".equals(act)) {
      throw new IllegalArgumentException("hidden_act '" + act + "' is not supported (only silu)");
    }
    if (o.has("quantization_config") && !o.get("quantization_config").isJsonNull()) {
      throw new IllegalArgumentException("quantization_config is not supported: load an unquantized checkpoint");
    }
    if (bool(o, "use_sliding_window", false)) {
      throw new IllegalArgumentException("use_sliding_window=true is not supported");
    }
    if (o.has("layer_types") && o.get("layer_types").isJsonArray()) {
      for (JsonElement t : o.getAsJsonArray("layer_types")) {
        if (!"full_attention".equals(t.getAsString())) {
          throw new IllegalArgumentException("layer_types entry '" + t.getAsString()
              + "' is not supported (only full_attention)");
        }
      }
    }
    int hidden = req(o, "hidden_size");
    int heads = req(o, "num_attention_heads");
    int kvHeads = integer(o, "num_key_value_heads", heads);
    // Qwen3Config defaults head_dim to 128; Qwen2Config and LlamaConfig to hidden / heads.
    Integer headDimOrNull = integer(o, "head_dim", QWEN3.equals(type) ? 128 : null);
    if (headDimOrNull == null && heads > 0 && hidden % heads != 0) {
      throw new IllegalArgumentException("hidden_size " + hidden
          + " is not divisible by num_attention_heads " + heads + " and head_dim is not set");
    }
    int headDim = headDimOrNull != null ? headDimOrNull : (heads > 0 ? hidden / heads : 0);

    // transformers v5 (PreTrainedConfig.convert_rope_params_to_dict): the rope dict is a legacy
    // rope_scaling when one is set, else rope_parameters; its rope_theta wins over a top-level one.
    String ropeField = nonEmpty(o, "rope_scaling") ? "rope_scaling"
        : nonEmpty(o, "rope_parameters") ? "rope_parameters" : null;
    JsonElement rope = ropeField == null ? null : o.get(ropeField);
    if (rope != null && !rope.isJsonObject()) {
      throw new IllegalArgumentException(ropeField + " must be null or an object");
    }
    JsonObject ropeObj = rope == null ? null : rope.getAsJsonObject();
    double theta = ropeObj != null && ropeObj.has("rope_theta") && !ropeObj.get("rope_theta").isJsonNull()
        ? num(ropeObj, "rope_theta")
        : o.has("rope_theta") && !o.get("rope_theta").isJsonNull() ? num(o, "rope_theta") : 10000.0;
    RopeScaling scaling = ropeScaling(ropeObj, ropeField);

    boolean isQwen2 = QWEN2.equals(type);
    boolean isLlama = LLAMA.equals(type);
    return new ModelConfig(
        type,
        req(o, "vocab_size"),
        hidden,
        req(o, "intermediate_size"),
        req(o, "num_hidden_layers"),
        heads,
        kvHeads,
        headDim,
        integer(o, "max_position_embeddings", isLlama ? 2048 : 32768),
        o.has("rms_norm_eps") && !o.get("rms_norm_eps").isJsonNull() ? num(o, "rms_norm_eps") : 1e-6,
        theta,
        scaling,
        bool(o, "tie_word_embeddings", false),
        !isQwen2 && bool(o, "attention_bias", false),
        isLlama && bool(o, "mlp_bias", false),
        integer(o, "bos_token_id", null),
        intList(o, "eos_token_id"),
        integer(o, "pad_token_id", null));
  }

  private static boolean nonEmpty(JsonObject o, String k) {
    JsonElement e = o.get(k);
    return e != null && !e.isJsonNull() && !(e.isJsonObject() && e.getAsJsonObject().size() == 0);
  }

  private static RopeScaling ropeScaling(JsonObject s, String field) {
    if (s == null) {
      return null;
    }
    String t = str(s, "rope_type", str(s, "type", "default"));
    if ("default".equals(t)) {
      return null;
    }
    if (!"llama3".equals(t)) {
      throw new IllegalArgumentException(field + ".rope_type '" + t
          + "' is not supported (supported: null, default, llama3)");
    }
    for (String k : List.of("factor", "low_freq_factor", "high_freq_factor",
        "original_max_position_embeddings")) {
      if (!s.has(k) || s.get(k).isJsonNull()) {
        throw new IllegalArgumentException("missing required field " + field + "." + k
            + " for rope_type llama3");
      }
    }
    double low = num(s, "low_freq_factor");
    double high = num(s, "high_freq_factor");
    if (!(high > low)) {
      throw new IllegalArgumentException(field + ".high_freq_factor must exceed low_freq_factor");
    }
    return new RopeScaling("llama3", num(s, "factor"), low, high,
        s.get("original_max_position_embeddings").getAsInt());
  }

  /** Writes an HF config.json that transformers and vLLM load. */
  public void write(Path configJson) throws IOException {
    write(configJson, "float32");
  }

  /** Writes config.json with the given torch_dtype string ("float32" or "bfloat16"). */
  public void write(Path configJson, String torchDtype) throws IOException {
    Files.writeString(configJson, toJson(torchDtype) + "\n", StandardCharsets.UTF_8);
  }

  public String toJson(String torchDtype) {
    JsonObject o = new JsonObject();
    JsonArray arch = new JsonArray();
    arch.add(architecture());
    o.add("architectures", arch);
    o.addProperty("model_type", modelType);
    o.addProperty("vocab_size", vocabSize);
    o.addProperty("hidden_size", hiddenSize);
    o.addProperty("intermediate_size", intermediateSize);
    o.addProperty("num_hidden_layers", numHiddenLayers);
    o.addProperty("num_attention_heads", numAttentionHeads);
    o.addProperty("num_key_value_heads", numKeyValueHeads);
    o.addProperty("head_dim", headDim);
    o.addProperty("max_position_embeddings", maxPositionEmbeddings);
    o.addProperty("rms_norm_eps", rmsNormEps);
    o.addProperty("rope_theta", ropeTheta);
    if (ropeScaling == null) {
      o.add("rope_scaling", com.google.gson.JsonNull.INSTANCE);
    } else {
      JsonObject s = new JsonObject();
      s.addProperty("rope_type", ropeScaling.ropeType());
      s.addProperty("factor", ropeScaling.factor());
      s.addProperty("low_freq_factor", ropeScaling.lowFreqFactor());
      s.addProperty("high_freq_factor", ropeScaling.highFreqFactor());
      s.addProperty("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
      o.add("rope_scaling", s);
    }
    o.addProperty("tie_word_embeddings", tieWordEmbeddings);
    o.addProperty("hidden_act", "silu");
    o.addProperty("initializer_range", 0.02);
    o.addProperty("attention_dropout", 0.0);
    if (QWEN2.equals(modelType)) {
      o.addProperty("use_sliding_window", false);
      o.addProperty("sliding_window", maxPositionEmbeddings);
      o.addProperty("max_window_layers", numHiddenLayers);
    } else if (QWEN3.equals(modelType)) {
      o.addProperty("attention_bias", attentionBias);
      o.addProperty("use_sliding_window", false);
      o.addProperty("sliding_window", maxPositionEmbeddings);
      o.addProperty("max_window_layers", numHiddenLayers);
    } else {
      o.addProperty("attention_bias", attentionBias);
      o.addProperty("mlp_bias", mlpBias);
      o.addProperty("pretraining_tp", 1);
    }
    if (bosTokenId != null) {
      o.addProperty("bos_token_id", bosTokenId);
    }
    if (eosTokenIds.size() == 1) {
      o.addProperty("eos_token_id", eosTokenIds.get(0));
    } else if (!eosTokenIds.isEmpty()) {
      JsonArray a = new JsonArray();
      eosTokenIds.forEach(a::add);
      o.add("eos_token_id", a);
    }
    if (padTokenId != null) {
      o.addProperty("pad_token_id", padTokenId);
    }
    o.addProperty("torch_dtype", torchDtype);
    o.addProperty("use_cache", true);
    return GSON.toJson(o);
  }

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().create();

  private static void validate(String type, int vocab, int hidden, int inter, int layers, int heads,
      int kvHeads, int headDim) {
    checkType(type);
    positive("vocab_size", vocab);
    positive("hidden_size", hidden);
    positive("intermediate_size", inter);
    positive("num_hidden_layers", layers);
    positive("num_attention_heads", heads);
    positive("num_key_value_heads", kvHeads);
    positive("head_dim", headDim);
    if (heads % kvHeads != 0) {
      throw new IllegalArgumentException("num_attention_heads " + heads
          + " is not a multiple of num_key_value_heads " + kvHeads);
    }
    if (headDim % 2 != 0) {
      throw new IllegalArgumentException("head_dim " + headDim + " must be even for rotary embeddings");
    }
  }

  private static void checkType(String type) {
    if (!SUPPORTED_TYPES.contains(type)) {
      throw new IllegalArgumentException("model_type '" + type + "' is not supported (supported: "
          + String.join(", ", SUPPORTED_TYPES) + ")");
    }
  }

  private static void positive(String field, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(field + " must be positive, got " + v);
    }
  }

  private static int req(JsonObject o, String k) {
    Integer v = integer(o, k, null);
    if (v == null) {
      throw new IllegalArgumentException("missing required field " + k);
    }
    return v;
  }

  private static Integer integer(JsonObject o, String k, Integer dflt) {
    if (!o.has(k) || o.get(k).isJsonNull()) {
      return dflt;
    }
    try {
      double d = o.get(k).getAsDouble();
      if (d != Math.rint(d)) {
        throw new IllegalArgumentException("field " + k + " must be an integer, got " + o.get(k));
      }
      return (int) d;
    } catch (UnsupportedOperationException | NumberFormatException | IllegalStateException e) {
      throw new IllegalArgumentException("field " + k + " must be an integer, got " + o.get(k), e);
    }
  }

  private static double num(JsonObject o, String k) {
    try {
      return o.get(k).getAsDouble();
    } catch (UnsupportedOperationException | NumberFormatException | IllegalStateException e) {
      throw new IllegalArgumentException("field " + k + " must be a number, got " + o.get(k), e);
    }
  }

  private static boolean bool(JsonObject o, String k, boolean dflt) {
    if (!o.has(k) || o.get(k).isJsonNull()) {
      return dflt;
    }
    JsonElement e = o.get(k);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw new IllegalArgumentException("field " + k + " must be true or false, got " + e);
    }
    return e.getAsBoolean();
  }

  private static String str(JsonObject o, String k, String dflt) {
    if (!o.has(k) || o.get(k).isJsonNull()) {
      return dflt;
    }
    return o.get(k).getAsString();
  }

  private static List<Integer> intList(JsonObject o, String k) {
    List<Integer> out = new ArrayList<>();
    if (!o.has(k) || o.get(k).isJsonNull()) {
      return out;
    }
    JsonElement e = o.get(k);
    if (e.isJsonArray()) {
      for (JsonElement x : e.getAsJsonArray()) {
        out.add(x.getAsInt());
      }
    } else {
      out.add(integer(o, k, null));
    }
    return out;
  }
}
