package dev.retort.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hugging Face checkpoint folders: {@code config.json}, {@code model.safetensors} or shards with
 * {@code model.safetensors.index.json}, {@code generation_config.json}, {@code tokenizer.json}
 * (+ {@code tokenizer_config.json}). What we write loads in transformers and vLLM.
 *
 * <p>Saves go to {@code DIR.tmp} and are renamed into place, so a killed save never leaves a
 * half-written checkpoint under the final name.
 */
public final class Checkpoint {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoint.class);

  /** Shard size above which the weights are split (below 2 GB so any reader copes). */
  public static final long DEFAULT_MAX_SHARD_BYTES = 1_900_000_000L;

  public static final String CONFIG = "config.json";
  public static final String WEIGHTS = "model.safetensors";
  public static final String INDEX = "model.safetensors.index.json";
  public static final String GENERATION_CONFIG = "generation_config.json";

  private Checkpoint() {}

  /** Loads config, weights (fp32 on {@code device}) and tokenizer if present. */
  public static LoadedModel load(Path dir, NDManager manager, Device device) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("checkpoint folder " + dir + " does not exist");
    }
    Path cfgPath = dir.resolve(CONFIG);
    if (!Files.isRegularFile(cfgPath)) {
      throw new IllegalArgumentException("checkpoint " + dir + " has no " + CONFIG);
    }
    ModelConfig config = ModelConfig.read(cfgPath);
    NDManager modelManager = manager.newSubManager(device == null ? manager.getDevice() : device);
    Transformer model;
    try {
      model = new Transformer(config, readWeights(dir, config, modelManager), modelManager);
    } catch (IOException | RuntimeException e) {
      modelManager.close();
      throw e;
    }
    Tokenizer tok = null;
    try {
      if (Files.isRegularFile(dir.resolve("tokenizer.json"))) {
        tok = Tokenizer.load(dir);
        if (tok.vocabSize() > config.vocabSize()) {
          throw new IllegalArgumentException("tokenizer has " + tok.vocabSize()
              + " ids but config vocab_size is " + config.vocabSize());
        }
      }
      Set<Integer> stops = new LinkedHashSet<>(generationEos(dir.resolve(GENERATION_CONFIG)));
      stops.addAll(config.eosTokenIds());
      return new LoadedModel(dir, config, model, tok, List.copyOf(stops));
    } catch (IOException | RuntimeException e) {
      if (tok != null) {
        tok.close();
      }
      modelManager.close();
      throw e;
    }
  }

  /** Loads onto the manager's device. */
  public static LoadedModel load(Path dir, NDManager manager) throws IOException {
    return load(dir, manager, manager.getDevice());
  }

  /** The safetensors files of a checkpoint: the index's shards, or the single file. */
  public static List<Path> weightFiles(Path dir) throws IOException {
    Path index = dir.resolve(INDEX);
    if (Files.isRegularFile(index)) {
      JsonObject map = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8))
          .getAsJsonObject().getAsJsonObject("weight_map");
      if (map == null) {
        throw new IllegalArgumentException(index + ": missing field weight_map");
      }
      Set<String> files = new LinkedHashSet<>();
      for (Map.Entry<String, JsonElement> e : map.entrySet()) {
        files.add(e.getValue().getAsString());
      }
      List<Path> out = new ArrayList<>();
      for (String f : files) {
        out.add(dir.resolve(f));
      }
      return out;
    }
    if (Files.isRegularFile(dir.resolve(WEIGHTS))) {
      return List.of(dir.resolve(WEIGHTS));
    }
    throw new IllegalArgumentException("checkpoint " + dir + " has neither " + WEIGHTS + " nor "
        + INDEX);
  }

  /**
   * Reads exactly the tensors {@code config} needs into {@code manager} as fp32. A missing tensor
   * or a shape mismatch is an error naming the tensor; tensors the model does not use are
   * logged and skipped (HF ignores them too: old rotary inv_freq buffers, a tied lm_head).
   */
  public static Map<String, NDArray> readWeights(Path dir, ModelConfig config, NDManager manager)
      throws IOException {
    Map<String, long[]> wanted = Transformer.expectedShapes(config);
    Map<String, NDArray> out = new LinkedHashMap<>();
    try {
      for (Path file : weightFiles(dir)) {
        try (Safetensors.Reader r = Safetensors.Reader.open(file)) {
          for (Safetensors.TensorInfo t : r.tensors().values()) {
            long[] shape = wanted.get(t.name());
            if (shape == null) {
              if (!t.name().endsWith("rotary_emb.inv_freq") && !t.name().equals("lm_head.weight")) {
                LOG.warn("{}: tensor {} is not used by a {} model, skipped", file, t.name(),
                    config.modelType());
              }
              continue;
            }
            if (!java.util.Arrays.equals(shape, t.shape())) {
              throw new IllegalArgumentException(file + ": tensor " + t.name() + " has shape "
                  + java.util.Arrays.toString(t.shape()) + ", config implies "
                  + java.util.Arrays.toString(shape));
            }
            out.put(t.name(), r.read(t.name(), manager));
          }
        }
      }
      for (String name : wanted.keySet()) {
        if (!out.containsKey(name)) {
          throw new IllegalArgumentException("checkpoint " + dir + " is missing tensor " + name
              + (name.equals("lm_head.weight") ? " (or set tie_word_embeddings=true)" : ""));
        }
      }
      Map<String, NDArray> ordered = new LinkedHashMap<>();
      wanted.keySet().forEach(n -> ordered.put(n, out.get(n)));
      return ordered;
    } catch (IOException | RuntimeException e) {
      out.values().forEach(NDArray::close);
      throw e;
    }
  }

  private static List<Integer> generationEos(Path file) throws IOException {
    List<Integer> out = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      return out;
    }
    JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
        .getAsJsonObject();
    JsonElement e = o.get("eos_token_id");
    if (e == null || e.isJsonNull()) {
      return out;
    }
    if (e.isJsonArray()) {
      for (JsonElement x : e.getAsJsonArray()) {
        out.add(x.getAsInt());
      }
    } else {
      out.add(e.getAsInt());
    }
    return out;
  }

  /** Saves with the default shard size. */
  public static void save(Transformer model, ModelConfig config, Path dir, DataType dtype,
      Tokenizer tok) throws IOException {
    save(model, config, dir, dtype, tok, DEFAULT_MAX_SHARD_BYTES);
  }

  /**
   * Writes a checkpoint folder: weights as {@code dtype} (FLOAT32 or BFLOAT16; FLOAT16 also
   * works), sharded with an index when they exceed {@code maxShardBytes}; config.json,
   * generation_config.json and, when {@code tok} is not null, the tokenizer files. Replaces an
   * existing {@code dir} only once the new one is complete.
   */
  public static void save(Transformer model, ModelConfig config, Path dir, DataType dtype,
      Tokenizer tok, long maxShardBytes) throws IOException {
    String dtypeName = Safetensors.dtypeName(dtype);
    if (!model.config().equals(config)) {
      throw new IllegalArgumentException("config does not match the model's architecture");
    }
    Path abs = dir.toAbsolutePath();
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
    deleteRecursively(tmp);
    Files.createDirectories(tmp);
    config.write(tmp.resolve(CONFIG), "F32".equals(dtypeName) ? "float32"
        : "BF16".equals(dtypeName) ? "bfloat16" : "float16");
    writeWeights(model.weights(), tmp, dtype, Safetensors.elementSize(dtypeName), maxShardBytes);
    writeGenerationConfig(config, tmp.resolve(GENERATION_CONFIG));
    if (tok != null) {
      tok.saveTo(tmp);
    }
    // Swap into place: the old folder moves aside first, so the final name never holds a mix.
    Path old = abs.resolveSibling(abs.getFileName() + ".old");
    deleteRecursively(old);
    if (Files.exists(abs)) {
      Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
    deleteRecursively(old);
  }

  private static void writeWeights(Map<String, NDArray> weights, Path dir, DataType dtype,
      int elementSize, long maxShardBytes) throws IOException {
    List<Map<String, NDArray>> shards = new ArrayList<>();
    Map<String, NDArray> current = new LinkedHashMap<>();
    long currentBytes = 0;
    long total = 0;
    for (Map.Entry<String, NDArray> e : weights.entrySet()) {
      long bytes = e.getValue().size() * elementSize;
      total += bytes;
      if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
        shards.add(current);
        current = new LinkedHashMap<>();
        currentBytes = 0;
      }
      current.put(e.getKey(), e.getValue());
      currentBytes += bytes;
    }
    shards.add(current);
    if (shards.size() == 1) {
      Safetensors.write(dir.resolve(WEIGHTS), current, dtype);
      return;
    }
    JsonObject weightMap = new JsonObject();
    for (int i = 0; i < shards.size(); i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      Safetensors.write(dir.resolve(name), shards.get(i), dtype);
      shards.get(i).keySet().forEach(k -> weightMap.addProperty(k, name));
    }
    JsonObject index = new JsonObject();
    JsonObject meta = new JsonObject();
    meta.addProperty("total_size", total);
    index.add("metadata", meta);
    index.add("weight_map", weightMap);
    Files.writeString(dir.resolve(INDEX),
        new GsonBuilder().setPrettyPrinting().create().toJson(index) + "\n", StandardCharsets.UTF_8);
  }

  private static void writeGenerationConfig(ModelConfig c, Path file) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty("_from_model_config", true);
    if (c.bosTokenId() != null) {
      o.addProperty("bos_token_id", c.bosTokenId());
    }
    if (c.eosTokenIds().size() == 1) {
      o.addProperty("eos_token_id", c.eosTokenIds().get(0));
    } else if (!c.eosTokenIds().isEmpty()) {
      JsonArray a = new JsonArray();
      c.eosTokenIds().forEach(a::add);
      o.add("eos_token_id", a);
    }
    if (c.padTokenId() != null) {
      o.addProperty("pad_token_id", c.padTokenId());
    }
    Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n",
        StandardCharsets.UTF_8);
  }

  /** Copies parameter values from {@code from} into {@code to} (same config). */
  public static void copyParameters(Transformer from, Transformer to) {
    to.copyParametersFrom(from);
  }

  /** All parameter values by HF name. */
  public static Map<String, float[]> parameterValues(Transformer model) {
    return model.parameterValues();
  }

  /** Overwrites all parameter values by HF name. */
  public static void setParameterValues(Transformer model, Map<String, float[]> values) {
    model.setParameterValues(values);
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
