package dev.retort.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a character-level {@code tokenizer.json} for the project's embedded models: a WordLevel
 * model over single characters, a Split pre-tokenizer that isolates every character, a Fuse
 * decoder (WordLevel would otherwise join tokens with spaces), and the chat/reasoning markers as
 * special added tokens so that {@code <think>} in text encodes to one id. It is loaded through
 * the same {@link Tokenizer} path as any real checkpoint's tokenizer.
 *
 * <p>Ids: {@code <unk>} is 0, the special tokens follow in the order given, then the charset.
 */
public final class CharTokenizer {
  /** Printable ASCII (space to '~') and newline. */
  public static final String DEFAULT_CHARSET = defaultCharset();

  public static final String UNK = "<unk>";
  public static final String ENDOFTEXT = "<|endoftext|>";
  public static final String PAD = "<pad>";

  /** Specials every embedded model gets, in id order after {@code <unk>}. */
  public static final List<String> DEFAULT_SPECIAL_TOKENS = List.of(ENDOFTEXT,
      ChatTemplate.IM_START, ChatTemplate.IM_END, ChatTemplate.THINK_START,
      ChatTemplate.THINK_END, PAD);

  private CharTokenizer() {}

  private static String defaultCharset() {
    StringBuilder sb = new StringBuilder("\n");
    for (char c = ' '; c <= '~'; c++) {
      sb.append(c);
    }
    return sb.toString();
  }

  /** Writes the default tokenizer (default charset and special tokens). */
  public static void write(Path tokenizerJson) throws IOException {
    write(tokenizerJson, DEFAULT_CHARSET, DEFAULT_SPECIAL_TOKENS);
  }

  /**
   * Writes a tokenizer.json covering each distinct code point of {@code charset} plus the
   * special tokens; characters outside the charset encode to {@code <unk>}.
   */
  public static void write(Path tokenizerJson, String charset, List<String> specialTokens)
      throws IOException {
    if (charset == null || charset.isEmpty()) {
      throw new IllegalArgumentException("charset must not be empty");
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    vocab.put(UNK, 0);
    JsonArray added = new JsonArray();
    added.add(addedToken(0, UNK));
    for (String s : specialTokens) {
      if (s.isEmpty() || vocab.containsKey(s)) {
        throw new IllegalArgumentException("special token '" + s + "' is empty or repeated");
      }
      int id = vocab.size();
      vocab.put(s, id);
      added.add(addedToken(id, s));
    }
    charset.codePoints().distinct().forEach(cp -> {
      String c = new String(Character.toChars(cp));
      vocab.putIfAbsent(c, vocab.size());
    });

    JsonObject root = new JsonObject();
    root.addProperty("version", "1.0");
    root.add("truncation", JsonNull.INSTANCE);
    root.add("padding", JsonNull.INSTANCE);
    root.add("added_tokens", added);
    root.add("normalizer", JsonNull.INSTANCE);
    JsonObject pre = new JsonObject();
    pre.addProperty("type", "Split");
    JsonObject pattern = new JsonObject();
    pattern.addProperty("Regex", "[\\s\\S]"); // any one character, newline included, in any regex flavour
    pre.add("pattern", pattern);
    pre.addProperty("behavior", "Isolated");
    pre.addProperty("invert", false);
    root.add("pre_tokenizer", pre);
    root.add("post_processor", JsonNull.INSTANCE);
    JsonObject decoder = new JsonObject();
    decoder.addProperty("type", "Fuse");
    root.add("decoder", decoder);
    JsonObject model = new JsonObject();
    model.addProperty("type", "WordLevel");
    JsonObject v = new JsonObject();
    vocab.forEach(v::addProperty);
    model.add("vocab", v);
    model.addProperty("unk_token", UNK);
    root.add("model", model);
    Path parent = tokenizerJson.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(tokenizerJson,
        new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root) + "\n",
        StandardCharsets.UTF_8);
  }

  private static JsonObject addedToken(int id, String content) {
    JsonObject t = new JsonObject();
    t.addProperty("id", id);
    t.addProperty("content", content);
    t.addProperty("single_word", false);
    t.addProperty("lstrip", false);
    t.addProperty("rstrip", false);
    t.addProperty("normalized", false);
    t.addProperty("special", true);
    return t;
  }
}
