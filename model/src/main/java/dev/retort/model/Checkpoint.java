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
 * <p>Loading is strict about tensors (see {@link #readWeights}): a checkpoint whose config.json
 * names the wrong architecture fails instead of computing something else. A loaded folder's
 * config.json, generation_config.json and weight dtype travel in {@link LoadedModel#source()}, so
 * that saving a model derived from it keeps them.
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

  /**
   * Loads config, weights (fp32 on {@code device}), tokenizer if present, and the folder's
   * {@link SourceCheckpoint}. The returned config is the one the weights fit: untied when
   * config.json says tied but the files hold a different lm_head (see {@link #readWeights}).
   */
  public static LoadedModel load(Path dir, NDManager manager, Device device) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("checkpoint folder " + dir + " does not exist");
    }
    Path cfgPath = dir.resolve(CONFIG);
    if (!Files.isRegularFile(cfgPath)) {
      throw new IllegalArgumentException("checkpoint " + dir + " has no " + CONFIG);
    }
    ModelConfig declared = ModelConfig.read(cfgPath);
    SourceCheckpoint source = SourceCheckpoint.read(dir);
    NDManager modelManager = manager.newSubManager(device == null ? manager.getDevice() : device);
    Transformer model;
    ModelConfig config;
    try {
      Weights w = readWeights(dir, declared, modelManager);
      config = w.config();
      model = new Transformer(config, w.tensors(), modelManager);
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
      return new LoadedModel(dir, config, model, tok, List.copyOf(stops), source);
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

  /** Tensors read for a model, and the config they fit (see {@link #readWeights}). */
  public record Weights(ModelConfig config, Map<String, NDArray> tensors) {}

  /**
   * Reads exactly the tensors {@code config} needs into {@code manager} as fp32, checking every
   * tensor name and shape in the files' headers before any data is read. Strict, so that a
   * checkpoint labelled with the wrong model_type fails instead of computing something else:
   * a missing tensor, a tensor the architecture does not use, or a shape mismatch is an error
   * naming the tensor. Accepted extras: {@code *rotary_emb.inv_freq} buffers (old checkpoints),
   * and {@code lm_head.weight} although {@code tie_word_embeddings} is true (transformers v5
   * saves it). For the latter this does what transformers v5's {@code tie_weights} does on load:
   * equal to the embedding, it is dropped (tied); different, the two are kept apart and the
   * returned config is untied, since that is the model the files hold; with the embedding
   * missing, lm_head.weight serves as both.
   */
  public static Weights readWeights(Path dir, ModelConfig config, NDManager manager)
      throws IOException {
    Map<String, long[]> wanted = Transformer.expectedShapes(config);
    String embedName = "model.embed_tokens.weight";
    String headName = "lm_head.weight";
    // Pass 1: headers only.
    Map<String, Path> where = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    List<String> unused = new ArrayList<>();
    Path firstUnusedFile = null;
    for (Path file : weightFiles(dir)) {
      try (Safetensors.Reader r = Safetensors.Reader.open(file)) {
        for (Safetensors.TensorInfo t : r.tensors().values()) {
          String name = t.name();
          boolean tiedHead = name.equals(headName) && config.tieWordEmbeddings();
          if (!wanted.containsKey(name) && !tiedHead) {
            if (name.endsWith("rotary_emb.inv_freq")) {
              continue;
            }
            if (unused.isEmpty()) {
              firstUnusedFile = file;
            }
            unused.add(name);
            continue;
          }
          long[] shape = tiedHead ? wanted.get(embedName) : wanted.get(name);
          if (!java.util.Arrays.equals(shape, t.shape())) {
            throw new IllegalArgumentException(file + ": tensor " + name + " has shape "
                + java.util.Arrays.toString(t.shape()) + ", config implies "
                + java.util.Arrays.toString(shape));
          }
          where.put(name, file);
          shapes.put(name, t.shape());
        }
      }
    }
    if (!unused.isEmpty()) {
      throw new IllegalArgumentException(firstUnusedFile + ": tensor " + unused.get(0)
          + " is not used by a " + config.modelType() + " model"
          + (unused.size() > 1 ? " (nor are " + (unused.size() - 1) + " more)" : "")
          + "; is model_type in config.json right? (supported: "
          + String.join(", ", ModelConfig.SUPPORTED_TYPES) + ")");
    }
    boolean headAsEmbed = config.tieWordEmbeddings() && !where.containsKey(embedName)
        && where.containsKey(headName);
    for (String name : wanted.keySet()) {
      if (!where.containsKey(name) && !(headAsEmbed && name.equals(embedName))) {
        throw new IllegalArgumentException("checkpoint " + dir + " is missing tensor " + name
            + ", which a " + config.modelType() + " model needs"
            + (name.equals(headName) ? " (or set tie_word_embeddings=true)" : ""));
      }
    }
    // Pass 2: data.
    Map<String, NDArray> out = new LinkedHashMap<>();
    try {
      Map<Path, List<String>> byFile = new LinkedHashMap<>();
      where.forEach((name, file) -> byFile.computeIfAbsent(file, f -> new ArrayList<>()).add(name));
      for (Map.Entry<Path, List<String>> e : byFile.entrySet()) {
        try (Safetensors.Reader r = Safetensors.Reader.open(e.getKey())) {
          for (String name : e.getValue()) {
            out.put(name, r.read(name, manager));
          }
        }
      }
      ModelConfig effective = config;
      if (config.tieWordEmbeddings() && out.containsKey(headName)) {
        if (headAsEmbed) {
          out.put(embedName, out.remove(headName));
        } else if (out.get(headName).contentEquals(out.get(embedName))) {
          out.remove(headName).close();
        } else {
          LOG.warn("{}: tie_word_embeddings is true but lm_head.weight differs from the embedding;"
              + " kept untied, as transformers does", dir);
          effective = config.withTieWordEmbeddings(false);
        }
      }
      Map<String, NDArray> ordered = new LinkedHashMap<>();
      for (String n : Transformer.expectedShapes(effective).keySet()) {
        ordered.put(n, out.get(n));
      }
      return new Weights(effective, ordered);
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

  /** Saves a model Retort created (no source checkpoint) with the default shard size. */
  public static void save(Transformer model, ModelConfig config, Path dir, DataType dtype,
      Tokenizer tok) throws IOException {
    save(model, config, dir, dtype, tok, null, DEFAULT_MAX_SHARD_BYTES);
  }

  /** Saves a model Retort created (no source checkpoint). */
  public static void save(Transformer model, ModelConfig config, Path dir, DataType dtype,
      Tokenizer tok, long maxShardBytes) throws IOException {
    save(model, config, dir, dtype, tok, null, maxShardBytes);
  }

  /** Saves with the default shard size; see the full overload. */
  public static void save(Transformer model, ModelConfig config, Path dir, DataType dtype,
      Tokenizer tok, SourceCheckpoint source) throws IOException {
    save(model, config, dir, dtype, tok, source, DEFAULT_MAX_SHARD_BYTES);
  }

  /**
   * Writes a checkpoint folder: weights sharded with an index when they exceed {@code
   * maxShardBytes}; config.json, generation_config.json and, when {@code tok} is not null, the
   * tokenizer files. Replaces an existing {@code dir} only once the new one is complete.
   *
   * <p>Without a {@code source} (a model Retort created), config.json and generation_config.json
   * are generated from {@code config} and {@code dtype} null means FLOAT32. With the {@code
   * source} the model was loaded from ({@link LoadedModel#source()}), the source's config.json is
   * copied with only what {@code config} changed and its dtype key updated, its
   * generation_config.json is kept (eos list, sampling defaults), and {@code dtype} null means the
   * source's dtype.
   *
   * @param dtype FLOAT32, BFLOAT16 or FLOAT16; null for the default above
   * @param source null for a model Retort created
   */
  public static void save(Transformer model, ModelConfig config, Path dir, DataType dtype,
      Tokenizer tok, SourceCheckpoint source, long maxShardBytes) throws IOException {
    if (dtype == null) {
      dtype = source == null ? DataType.FLOAT32 : source.dtype();
    }
    String dtypeName = Safetensors.dtypeName(dtype);
    if (!model.config().equals(config)) {
      throw new IllegalArgumentException("config does not match the model's architecture");
    }
    Path abs = dir.toAbsolutePath();
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
    deleteRecursively(tmp);
    Files.createDirectories(tmp);
    if (source == null) {
      config.write(tmp.resolve(CONFIG), SourceCheckpoint.torchName(dtype));
    } else {
      writeJson(tmp.resolve(CONFIG), source.configFor(config, dtype));
    }
    writeWeights(model.weights(), tmp, dtype, Safetensors.elementSize(dtypeName), maxShardBytes);
    JsonObject generation = source == null ? null : source.generationConfigFor(config);
    if (generation == null) {
      writeGenerationConfig(config, tmp.resolve(GENERATION_CONFIG));
    } else {
      writeJson(tmp.resolve(GENERATION_CONFIG), generation);
    }
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

  private static void writeJson(Path file, JsonObject o) throws IOException {
    Files.writeString(file, new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o)
        + "\n", StandardCharsets.UTF_8);
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
