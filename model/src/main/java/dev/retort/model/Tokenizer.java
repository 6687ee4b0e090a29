package dev.retort.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} through DJL's native tokenizers binding, configured the
 * way training needs it: truncation and padding off (DJL silently truncates to 512 otherwise) and
 * no special tokens added unless asked. Special tokens written in the text ({@code <think>},
 * {@code <|im_end|>}) still encode to their single ids.
 *
 * <p>DJL offers no token-to-id lookup, so the vocabulary and added tokens are also read from the
 * JSON here; special ids prefer {@code tokenizer_config.json} next to the file when present.
 */
public final class Tokenizer implements AutoCloseable {
  /** transformers v5 writes the chat template to this file beside tokenizer_config.json. */
  public static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";

  private final HuggingFaceTokenizer hf;
  private final Path file;
  private final Map<String, Integer> ids;
  private final Set<Integer> specialIds;
  private final int vocabSize;
  private final Integer eosId;
  private final Integer padId;
  private final Integer bosId;
  private final String templateSource;
  private volatile ChatTemplate chatTemplate;

  private Tokenizer(HuggingFaceTokenizer hf, Path file, Map<String, Integer> ids,
      Set<Integer> specialIds, int vocabSize, Integer eosId, Integer padId, Integer bosId,
      String templateSource) {
    this.hf = hf;
    this.file = file;
    this.ids = ids;
    this.specialIds = specialIds;
    this.vocabSize = vocabSize;
    this.eosId = eosId;
    this.padId = padId;
    this.bosId = bosId;
    this.templateSource = templateSource;
  }

  /** Loads {@code dir/tokenizer.json} or the given tokenizer.json file. */
  public static Tokenizer load(Path dirOrFile) throws IOException {
    Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("tokenizer.json") : dirOrFile;
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no tokenizer.json at " + file);
    }
    JsonObject root;
    try {
      root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
          .getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + ": not a tokenizer.json: " + e.getMessage(), e);
    }
    Map<String, Integer> ids = new HashMap<>();
    Set<Integer> special = new LinkedHashSet<>();
    int maxId = -1;
    JsonObject model = root.has("model") && root.get("model").isJsonObject()
        ? root.getAsJsonObject("model") : new JsonObject();
    JsonElement vocab = model.get("vocab");
    if (vocab != null && vocab.isJsonObject()) { // BPE, WordLevel, WordPiece
      for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
        int id = e.getValue().getAsInt();
        ids.put(e.getKey(), id);
        maxId = Math.max(maxId, id);
      }
    } else if (vocab != null && vocab.isJsonArray()) { // Unigram: [[piece, score], ...]
      JsonArray a = vocab.getAsJsonArray();
      for (int i = 0; i < a.size(); i++) {
        ids.put(a.get(i).getAsJsonArray().get(0).getAsString(), i);
      }
      maxId = Math.max(maxId, a.size() - 1);
    }
    if (root.has("added_tokens") && root.get("added_tokens").isJsonArray()) {
      for (JsonElement e : root.getAsJsonArray("added_tokens")) {
        JsonObject t = e.getAsJsonObject();
        int id = t.get("id").getAsInt();
        ids.put(t.get("content").getAsString(), id);
        if (t.has("special") && t.get("special").getAsBoolean()) {
          special.add(id);
        }
        maxId = Math.max(maxId, id);
      }
    }
    JsonObject cfg = tokenizerConfig(file.resolveSibling("tokenizer_config.json"));
    Integer eos = firstId(ids, configToken(cfg, "eos_token"), "<|endoftext|>", "<|end_of_text|>",
        "</s>");
    Integer pad = firstId(ids, configToken(cfg, "pad_token"), "<pad>");
    Integer bos = firstId(ids, configToken(cfg, "bos_token"));
    String template = templateSource(file.resolveSibling(CHAT_TEMPLATE_FILE), cfg);
    HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, Map.of(
        "addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    return new Tokenizer(hf, file, Collections.unmodifiableMap(ids),
        Collections.unmodifiableSet(special), maxId + 1, eos, pad == null ? eos : pad, bos, template);
  }

  /**
   * The checkpoint's chat template source: {@code chat_template.jinja} (transformers v5) beside
   * tokenizer.json, else tokenizer_config.json's {@code chat_template} (a string, or a list of
   * named templates of which "default" is used), else null.
   */
  private static String templateSource(Path jinjaFile, JsonObject cfg) throws IOException {
    if (Files.isRegularFile(jinjaFile)) {
      return Files.readString(jinjaFile, StandardCharsets.UTF_8);
    }
    JsonElement t = cfg.get("chat_template");
    if (t == null || t.isJsonNull()) {
      return null;
    }
    if (t.isJsonPrimitive()) {
      return t.getAsString();
    }
    if (t.isJsonArray()) {
      for (JsonElement e : t.getAsJsonArray()) {
        JsonObject o = e.getAsJsonObject();
        if (o.has("name") && "default".equals(o.get("name").getAsString())) {
          return o.get("template").getAsString();
        }
      }
    }
    throw new IllegalArgumentException("tokenizer_config.json next to " + jinjaFile.getParent()
        + ": chat_template is neither a string nor a list holding a 'default' template");
  }

  private static JsonObject tokenizerConfig(Path p) throws IOException {
    if (!Files.isRegularFile(p)) {
      return new JsonObject();
    }
    try {
      return JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(p + ": not a JSON object: " + e.getMessage(), e);
    }
  }

  /** tokenizer_config.json writes a token either as a string or as {"content": ...}. */
  private static String configToken(JsonObject cfg, String key) {
    JsonElement e = cfg.get(key);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
      return e.getAsJsonObject().get("content").getAsString();
    }
    return e.isJsonPrimitive() ? e.getAsString() : null;
  }

  private static Integer firstId(Map<String, Integer> ids, String... candidates) {
    for (String c : candidates) {
      if (c != null && ids.containsKey(c)) {
        return ids.get(c);
      }
    }
    return null;
  }

  /** Token ids of {@code text}, adding no BOS/EOS; special tokens in the text are recognized. */
  public int[] encode(String text) {
    return encode(text, false);
  }

  /** Token ids, with the tokenizer's post-processor specials (e.g. Llama's BOS) when asked. */
  public int[] encode(String text, boolean addSpecialTokens) {
    long[] raw = hf.encode(text, addSpecialTokens, false).getIds();
    int[] out = new int[raw.length];
    for (int i = 0; i < raw.length; i++) {
      out[i] = (int) raw[i];
    }
    return out;
  }

  /** Text of ids, special tokens kept (so {@code <think>} survives a round trip). */
  public String decode(int[] tokens) {
    return decode(tokens, false);
  }

  public String decode(int[] tokens, boolean skipSpecialTokens) {
    long[] raw = new long[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      raw[i] = tokens[i];
    }
    return hf.decode(raw, skipSpecialTokens);
  }

  /** One more than the largest id in the vocabulary or added tokens. */
  public int vocabSize() {
    return vocabSize;
  }

  /** Id of a vocabulary or added token, or null. */
  public Integer tokenId(String token) {
    return ids.get(token);
  }

  /** Id of a token that must exist; the error names it. */
  public int requireTokenId(String token) {
    Integer id = ids.get(token);
    if (id == null) {
      throw new IllegalArgumentException("tokenizer " + file + " has no token " + token);
    }
    return id;
  }

  /** End-of-sequence id (tokenizer_config eos_token, else {@code <|endoftext|>}...), or null. */
  public Integer eosId() {
    return eosId;
  }

  /** Padding id (tokenizer_config pad_token, else {@code <pad>}, else eos), or null. */
  public Integer padId() {
    return padId;
  }

  public Integer bosId() {
    return bosId;
  }

  /** The string of token {@code id} (vocabulary or added token), or null. */
  public String tokenString(Integer id) {
    if (id == null) {
      return null;
    }
    for (Map.Entry<String, Integer> e : ids.entrySet()) {
      if (e.getValue().equals(id)) {
        return e.getKey();
      }
    }
    return null;
  }

  /**
   * The checkpoint's own chat template, or Retort's ChatML when the checkpoint has none but its
   * tokenizer has the ChatML tokens (Retort's character-level models); null otherwise.
   */
  public ChatTemplate chatTemplate() {
    ChatTemplate t = chatTemplate;
    if (t == null) {
      if (templateSource != null) {
        t = ChatTemplate.of(templateSource, tokenString(bosId), tokenString(eosId));
      } else if (ids.containsKey(ChatTemplate.IM_START) && ids.containsKey(ChatTemplate.IM_END)) {
        t = ChatTemplate.chatml();
      } else {
        return null;
      }
      chatTemplate = t;
    }
    return t;
  }

  /**
   * {@code override} (a Jinja template, from a config key) when set, else {@link #chatTemplate()};
   * the error names {@code key} when neither exists. An override becomes this tokenizer's template
   * from then on, so a checkpoint saved with it records the format its weights were trained on.
   */
  public ChatTemplate chatTemplate(String override, String key) {
    if (override != null && !override.isBlank()) {
      ChatTemplate t = ChatTemplate.of(override, tokenString(bosId), tokenString(eosId));
      chatTemplate = t;
      return t;
    }
    ChatTemplate t = chatTemplate();
    if (t == null) {
      throw new IllegalArgumentException("the tokenizer at " + file.getParent() + " has no chat template ("
          + CHAT_TEMPLATE_FILE + " or tokenizer_config.json chat_template); set " + key + " to a Jinja template");
    }
    return t;
  }

  /** Ids of added tokens marked special. */
  public Set<Integer> specialIds() {
    return specialIds;
  }

  /** The tokenizer.json this was loaded from. */
  public Path file() {
    return file;
  }

  /**
   * Copies tokenizer.json and special_tokens_map.json into {@code dir} and writes
   * tokenizer_config.json (the source's, else a minimal one that transformers' AutoTokenizer and
   * vLLM load) whose {@code chat_template} is {@code trainedWith}: the format the weights saw. A
   * chat_template.jinja is written too when the source had one (transformers v5 prefers it).
   */
  public void saveTo(Path dir, ChatTemplate trainedWith) throws IOException {
    Files.copy(file, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    Path map = file.resolveSibling("special_tokens_map.json");
    if (Files.isRegularFile(map)) {
      Files.copy(map, dir.resolve("special_tokens_map.json"), StandardCopyOption.REPLACE_EXISTING);
    }
    JsonObject cfg = tokenizerConfig(file.resolveSibling("tokenizer_config.json"));
    if (cfg.size() == 0) {
      cfg.addProperty("tokenizer_class", "PreTrainedTokenizerFast");
      putToken(cfg, "eos_token", eosId);
      putToken(cfg, "pad_token", padId);
      putToken(cfg, "bos_token", bosId);
      if (ids.containsKey("<unk>")) {
        cfg.addProperty("unk_token", "<unk>");
      }
      cfg.addProperty("clean_up_tokenization_spaces", false);
      cfg.addProperty("model_max_length", 1_000_000);
    }
    if (trainedWith != null) {
      cfg.addProperty("chat_template", trainedWith.source());
      if (Files.isRegularFile(file.resolveSibling(CHAT_TEMPLATE_FILE))) {
        Files.writeString(dir.resolve(CHAT_TEMPLATE_FILE), trainedWith.source(), StandardCharsets.UTF_8);
      }
    }
    Files.writeString(dir.resolve("tokenizer_config.json"),
        new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(cfg) + "\n",
        StandardCharsets.UTF_8);
  }

  /** {@link #saveTo(Path, ChatTemplate)} with this tokenizer's own template. */
  public void saveTo(Path dir) throws IOException {
    saveTo(dir, chatTemplate());
  }

  private void putToken(JsonObject cfg, String key, Integer id) {
    if (id == null) {
      return;
    }
    ids.forEach((tok, i) -> {
      if (i.equals(id) && !cfg.has(key)) {
        cfg.addProperty(key, tok);
      }
    });
  }

  @Override
  public void close() {
    hf.close();
  }
}
