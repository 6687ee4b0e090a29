package dev.retort.model;

import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a checkpoint folder says beyond the architecture {@link ModelConfig} models: its
 * config.json as written (keys Retort does not interpret, the v4 or v5 layout), its
 * generation_config.json (eos list, sampling defaults) and the dtype of its weight files.
 * {@link Checkpoint#save} takes it so that a model derived from a Hub checkpoint is saved the way
 * the ecosystem loads it: same dtype, same config keys with only what changed updated, same
 * generation defaults.
 *
 * <p>The JSON objects are copied in and out, so a holder cannot change them under another.
 *
 * @param config the source config.json
 * @param generationConfig the source generation_config.json, or null when it had none
 * @param dtype the dtype most of the source's weight tensors are stored in (FLOAT32, BFLOAT16 or
 *     FLOAT16)
 */
public record SourceCheckpoint(JsonObject config, JsonObject generationConfig, DataType dtype) {

  public SourceCheckpoint {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(dtype, "dtype");
    config = config.deepCopy();
    generationConfig = generationConfig == null ? null : generationConfig.deepCopy();
  }

  @Override
  public JsonObject config() {
    return config.deepCopy();
  }

  @Override
  public JsonObject generationConfig() {
    return generationConfig == null ? null : generationConfig.deepCopy();
  }

  /** Reads config.json, generation_config.json and the weight files' headers (not the data). */
  public static SourceCheckpoint read(Path dir) throws IOException {
    JsonObject config = object(dir.resolve(Checkpoint.CONFIG));
    Path gen = dir.resolve(Checkpoint.GENERATION_CONFIG);
    JsonObject generation = Files.isRegularFile(gen) ? object(gen) : null;
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (Path file : Checkpoint.weightFiles(dir)) {
      try (Safetensors.Reader r = Safetensors.Reader.open(file)) {
        for (Safetensors.TensorInfo t : r.tensors().values()) {
          counts.merge(t.dtype(), 1, Integer::sum);
        }
      }
    }
    String most = counts.entrySet().stream().max(Map.Entry.comparingByValue())
        .map(Map.Entry::getKey).orElse("F32");
    DataType dtype = switch (most) {
      case "BF16" -> DataType.BFLOAT16;
      case "F16" -> DataType.FLOAT16;
      default -> DataType.FLOAT32;
    };
    return new SourceCheckpoint(config, generation, dtype);
  }

  private static JsonObject object(Path file) throws IOException {
    try {
      return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
          .getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + ": not a JSON object: " + e.getMessage(), e);
    }
  }

  /** torch's name of a dtype as config.json spells it ("float32", "bfloat16", "float16"). */
  static String torchName(DataType dtype) {
    return switch (Safetensors.dtypeName(dtype)) {
      case "BF16" -> "bfloat16";
      case "F16" -> "float16";
      default -> "float32";
    };
  }

  /**
   * The source config.json with what differs between {@code current} and the architecture the
   * source describes written over it, and its dtype key(s) ({@code dtype} for transformers v5,
   * {@code torch_dtype} for v4, both when it had both) set to {@code dtype}. Rope settings go back
   * into {@code rope_parameters} when the source used that layout.
   */
  JsonObject configFor(ModelConfig current, DataType dtype) {
    JsonObject out = config.deepCopy();
    ModelConfig original = ModelConfig.fromJson(config);
    JsonObject before = JsonParser.parseString(original.toJson("float32")).getAsJsonObject();
    JsonObject after = JsonParser.parseString(current.toJson("float32")).getAsJsonObject();
    boolean v5Rope = nonNull(config, "rope_parameters") && !nonNull(config, "rope_scaling");
    boolean ropeChanged = false;
    for (Map.Entry<String, JsonElement> e : after.entrySet()) {
      String k = e.getKey();
      if (e.getValue().equals(before.get(k)) || k.equals("torch_dtype")) {
        continue;
      }
      if (v5Rope && (k.equals("rope_theta") || k.equals("rope_scaling"))) {
        ropeChanged = true;
      } else {
        out.add(k, e.getValue());
      }
    }
    if (ropeChanged) {
      JsonObject rp = new JsonObject();
      ModelConfig.RopeScaling s = current.ropeScaling();
      rp.addProperty("rope_type", s == null ? "default" : s.ropeType());
      rp.addProperty("rope_theta", current.ropeTheta());
      if (s != null) {
        rp.addProperty("factor", s.factor());
        rp.addProperty("low_freq_factor", s.lowFreqFactor());
        rp.addProperty("high_freq_factor", s.highFreqFactor());
        rp.addProperty("original_max_position_embeddings", s.originalMaxPositionEmbeddings());
      }
      out.add("rope_parameters", rp);
      out.remove("rope_theta"); // v5 keeps it only inside rope_parameters
    }
    String name = torchName(dtype);
    boolean any = false;
    for (String key : List.of("dtype", "torch_dtype")) {
      if (config.has(key)) {
        out.addProperty(key, name);
        any = true;
      }
    }
    if (!any) {
      out.addProperty("torch_dtype", name);
    }
    return out;
  }

  /**
   * The source generation_config.json (sampling defaults, eos list) with bos/eos/pad updated
   * where {@code current} changed them relative to the source config; null when the source had
   * no generation_config.json.
   */
  JsonObject generationConfigFor(ModelConfig current) {
    if (generationConfig == null) {
      return null;
    }
    JsonObject out = generationConfig.deepCopy();
    ModelConfig original = ModelConfig.fromJson(config);
    if (!Objects.equals(original.bosTokenId(), current.bosTokenId())) {
      out.add("bos_token_id", id(current.bosTokenId()));
    }
    if (!original.eosTokenIds().equals(current.eosTokenIds())) {
      out.add("eos_token_id", ids(current.eosTokenIds()));
    }
    if (!Objects.equals(original.padTokenId(), current.padTokenId())) {
      out.add("pad_token_id", id(current.padTokenId()));
    }
    return out;
  }

  private static JsonElement id(Integer v) {
    return v == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(v);
  }

  private static JsonElement ids(List<Integer> v) {
    if (v.isEmpty()) {
      return JsonNull.INSTANCE;
    }
    if (v.size() == 1) {
      return new com.google.gson.JsonPrimitive(v.get(0));
    }
    JsonArray a = new JsonArray();
    v.forEach(a::add);
    return a;
  }

  private static boolean nonNull(JsonObject o, String k) {
    return o.has(k) && !o.get(k).isJsonNull();
  }
}
