package dev.retort.model;

import dev.retort.model.chat.JinjaChatRenderer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A checkpoint's chat format: its own Jinja {@code chat_template}, rendered as transformers'
 * {@code apply_chat_template} renders it ({@link JinjaChatRenderer}), with the tokenizer's
 * {@code bos_token}/{@code eos_token} strings. Every prompt Retort builds (SFT, GRPO, eval,
 * {@code serve}, the in-process teacher, {@code model generate}) goes through {@link #render}.
 *
 * <p>Reasoning is written the way DeepSeek-R1 and Qwen3 write it, as a {@code <think>} block at the
 * start of the assistant content. The trained part of a turn ({@link #completion}) is what the
 * template adds after the generation prompt when the turn is appended: the conversation is
 * rendered with and without it. Templates that strip earlier reasoning from assistant turns or
 * whose generation prompt already opens {@code <think>} (DeepSeek-R1) do not extend their own
 * generation prompt; for them the turn is the assistant content after what the generation prompt
 * opened, followed by the template's end-of-turn text.
 *
 * <p>{@link #chatml()} is Retort's default for its own character-level models (and for
 * checkpoints whose tokenizer has ChatML tokens but no template).
 */
public final class ChatTemplate {
  public static final String IM_START = "<|im_start|>";
  public static final String IM_END = "<|im_end|>";
  public static final String THINK_START = "<think>";
  public static final String THINK_END = "</think>";

  /** ChatML, as Qwen writes it, without tool support. */
  public static final String CHATML_JINJA = "{% for message in messages %}{{'" + IM_START
      + "' + message['role'] + '\\n' + message['content'] + '" + IM_END + "' + '\\n'}}{% endfor %}"
      + "{% if add_generation_prompt %}{{ '" + IM_START + "assistant\\n' }}{% endif %}";

  /** A probe text: plain letters, so no template's strip/split can touch it. */
  private static final String MARKER = "RetortTurnMarkerQz";

  private static final ChatTemplate CHATML = of(CHATML_JINJA, null, null);

  private final String source;
  private final JinjaChatRenderer renderer;
  private final String bosToken;
  private final String eosToken;
  private final Map<String, Object> kwargs;
  private volatile Shape shape;

  private ChatTemplate(String source, String bosToken, String eosToken, Map<String, Object> kwargs) {
    this.source = source;
    this.renderer = JinjaChatRenderer.compile(source);
    this.bosToken = bosToken;
    this.eosToken = eosToken;
    this.kwargs = Map.copyOf(kwargs);
  }

  /**
   * A template from its Jinja source and the tokenizer's special-token strings (null when the
   * tokenizer has none).
   *
   * @throws IllegalArgumentException when the source does not parse
   */
  public static ChatTemplate of(String source, String bosToken, String eosToken) {
    return new ChatTemplate(source, bosToken, eosToken, Map.of());
  }

  /** Retort's ChatML template (no BOS, end of turn {@code <|im_end|>}). */
  public static ChatTemplate chatml() {
    return CHATML;
  }

  /** The same template rendered with extra template variables (e.g. {@code enable_thinking}). */
  public ChatTemplate withKwargs(Map<String, Object> extra) {
    Map<String, Object> k = new LinkedHashMap<>(kwargs);
    k.putAll(extra);
    return new ChatTemplate(source, bosToken, eosToken, k);
  }

  /** The Jinja source, as written into a saved checkpoint's tokenizer_config.json. */
  public String source() {
    return source;
  }

  public String bosToken() {
    return bosToken;
  }

  public String eosToken() {
    return eosToken;
  }

  /** The text of {@code messages}, as {@code apply_chat_template(messages, tokenize=False)}. */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    List<Object> msgs = new ArrayList<>(messages.size());
    for (ChatMessage m : messages) {
      Map<String, Object> o = new HashMap<>();
      o.put("role", m.role());
      o.put("content", m.content());
      msgs.add(o);
    }
    return render(msgs, addGenerationPrompt, Map.of());
  }

  /** Renders with transformers' variables: messages, add_generation_prompt, bos/eos_token, kwargs. */
  private String render(List<Object> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("a chat needs at least one message");
    }
    Map<String, Object> ctx = new HashMap<>(kwargs);
    ctx.putAll(extra);
    ctx.put("messages", messages);
    ctx.put("add_generation_prompt", addGenerationPrompt);
    if (bosToken != null) {
      ctx.put("bos_token", bosToken);
    }
    if (eosToken != null) {
      ctx.put("eos_token", eosToken);
    }
    return renderer.render(ctx);
  }

  /**
   * Renders messages given as JSON (every field of a message reaches the template, e.g.
   * {@code reasoning_content}, {@code tool_calls}), with extra template variables from
   * {@code kwargs} (may be null). JSON integers stay integers, as in Python.
   */
  public String render(com.google.gson.JsonArray messages, boolean addGenerationPrompt,
      com.google.gson.JsonObject kwargs) {
    Map<String, Object> extra = new HashMap<>();
    if (kwargs != null) {
      for (Map.Entry<String, com.google.gson.JsonElement> e : kwargs.entrySet()) {
        extra.put(e.getKey(), plain(e.getValue()));
      }
    }
    @SuppressWarnings("unchecked")
    List<Object> msgs = (List<Object>) plain(messages);
    return render(msgs, addGenerationPrompt, extra);
  }

  /** JSON as the plain Java values a template sees (maps, lists, strings, Long/Double, Boolean, null). */
  private static Object plain(com.google.gson.JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (e.isJsonArray()) {
      List<Object> out = new ArrayList<>();
      for (com.google.gson.JsonElement x : e.getAsJsonArray()) {
        out.add(plain(x));
      }
      return out;
    }
    if (e.isJsonObject()) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, com.google.gson.JsonElement> x : e.getAsJsonObject().entrySet()) {
        out.put(x.getKey(), plain(x.getValue()));
      }
      return out;
    }
    com.google.gson.JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return p.getAsBoolean();
    }
    if (p.isNumber()) {
      String text = p.getAsString();
      if (text.contains(".") || text.contains("e") || text.contains("E")) {
        return p.getAsDouble();
      }
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException tooLong) {
        return p.getAsBigInteger();
      }
    }
    return p.getAsString();
  }

  /** A one-user-turn prompt up to and including the generation prompt. */
  public String prompt(String userText) {
    return render(List.of(ChatMessage.user(userText)), true);
  }

  /** {@code messages} up to and including the generation prompt. */
  public String prompt(List<ChatMessage> messages) {
    return render(messages, true);
  }

  /**
   * The text the model is trained to produce after {@link #prompt(List)} of {@code messages}:
   * an assistant turn holding {@code content}, through the template's end of turn.
   *
   * @throws IllegalArgumentException when the template renders the turn in a way that no prompt
   *     prefix explains (the error shows both texts)
   */
  public String completion(List<ChatMessage> messages, String content) {
    String prompt = render(messages, true);
    List<ChatMessage> withTurn = new ArrayList<>(messages);
    withTurn.add(ChatMessage.assistant(content));
    String full = render(withTurn, false);
    if (full.startsWith(prompt)) {
      return full.substring(prompt.length());
    }
    // The template rewrites the turn (drops reasoning) or its generation prompt opened part of it.
    Shape s = shapeFor(messages);
    if (!prompt.startsWith(s.head)) {
      throw new IllegalArgumentException("chat template: the generation prompt " + quote(prompt)
          + " does not extend the rendered history " + quote(s.head));
    }
    String opened = prompt.substring(s.head.length());
    if (!content.startsWith(opened) && opened.strip().equals(THINK_START) && !content.startsWith(THINK_START)) {
      content = THINK_START + "\n\n" + THINK_END + "\n\n" + content; // no reasoning: an empty block
    }
    if (!content.startsWith(opened)) {
      String trimmed = opened.strip();
      if (!trimmed.isEmpty() && content.startsWith(trimmed)) {
        return content.substring(trimmed.length()).replaceFirst("^\\n", "") + s.tail;
      }
      throw new IllegalArgumentException("chat template: the generation prompt opens " + quote(opened)
          + " but the assistant turn starts " + quote(content.substring(0, Math.min(40, content.length()))));
    }
    return content.substring(opened.length()) + s.tail;
  }

  /** The trained text for one user question answered with {@code reasoning} and {@code answer}. */
  public String completion(String userText, String reasoning, String answer) {
    return completion(List.of(ChatMessage.user(userText)), assistantContent(reasoning, answer));
  }

  /** Assistant content with its reasoning block: {@code <think>\nR\n</think>\n\nA}. */
  public static String assistantContent(String reasoning, String answer) {
    return THINK_START + "\n" + reasoning.strip() + "\n" + THINK_END + "\n\n" + answer.strip();
  }

  /**
   * The text the template writes after an assistant turn's content (e.g. {@code <|im_end|>\n},
   * {@code <|eot_id|>}): where generation ends.
   */
  public String endOfTurn() {
    return shapeFor(List.of(ChatMessage.user("Hi"))).tail;
  }

  /** True when the generation prompt itself opens the reasoning block (DeepSeek-R1, Qwen3 with thinking forced). */
  public boolean opensThink() {
    String p = prompt("Hi").stripTrailing();
    return p.endsWith(THINK_START);
  }

  /**
   * Ids that end an assistant turn for {@code tokenizer}: the first token of {@link #endOfTurn()}
   * when it is a single added token, then the tokenizer's eos.
   */
  public List<Integer> endOfTurnIds(Tokenizer tokenizer) {
    List<Integer> ids = new ArrayList<>();
    String tail = endOfTurn().strip();
    if (!tail.isEmpty()) {
      int[] enc = tokenizer.encode(tail);
      if (enc.length > 0 && tokenizer.specialIds().contains(enc[0])) {
        ids.add(enc[0]);
      } else if (enc.length == 1) {
        ids.add(enc[0]);
      }
    }
    if (tokenizer.eosId() != null && !ids.contains(tokenizer.eosId())) {
      ids.add(tokenizer.eosId());
    }
    if (ids.isEmpty()) {
      throw new IllegalArgumentException("chat template ends a turn with " + quote(endOfTurn())
          + ", which is no single token of " + tokenizer.file() + ", and the tokenizer has no eos token");
    }
    return ids;
  }

  /**
   * Where sampling stops for a checkpoint: its declared eos ids ({@code checkpointEos}, from
   * generation_config.json and config.json) followed by {@link #endOfTurnIds}, without repeats.
   */
  public List<Integer> stopIds(Tokenizer tokenizer, List<Integer> checkpointEos) {
    java.util.LinkedHashSet<Integer> ids = new java.util.LinkedHashSet<>(checkpointEos);
    ids.addAll(endOfTurnIds(tokenizer));
    return List.copyOf(ids);
  }

  /** Reasoning and answer of generated text; reasoning is empty when there is no think block. */
  public record Parsed(String reasoning, String answer, boolean hasThinkBlock) {}

  /**
   * Splits generated text (which may run on past the end of turn) into reasoning and answer. When
   * the generation prompt opened {@code <think>}, the text starts inside the block.
   */
  public Parsed parse(String generated) {
    String text = generated;
    String tail = endOfTurn().strip();
    if (!tail.isEmpty()) {
      int end = text.indexOf(tail);
      if (end >= 0) {
        text = text.substring(0, end);
      }
    }
    if (eosToken != null && !eosToken.isEmpty()) {
      int end = text.indexOf(eosToken);
      if (end >= 0) {
        text = text.substring(0, end);
      }
    }
    int close = text.indexOf(THINK_END);
    int open = text.indexOf(THINK_START);
    if (close >= 0 && (open < 0 || open > close) && opensThink()) {
      open = -1; // the block was opened by the prompt
    } else if (open < 0 || close < open) {
      return new Parsed("", text.strip(), false);
    }
    int from = open < 0 ? 0 : open + THINK_START.length();
    return new Parsed(text.substring(from, close).strip(), text.substring(close + THINK_END.length()).strip(), true);
  }

  /** What a turn looks like around its content: the rendered history before it and the text after. */
  private record Shape(String head, String tail) {}

  private Shape shapeFor(List<ChatMessage> messages) {
    Shape cached = shape;
    boolean probe = messages.size() == 1 && messages.get(0).equals(ChatMessage.user("Hi"));
    if (probe && cached != null) {
      return cached;
    }
    List<ChatMessage> withTurn = new ArrayList<>(messages);
    withTurn.add(ChatMessage.assistant(MARKER));
    String full = render(withTurn, false);
    int at = full.lastIndexOf(MARKER);
    if (at < 0) {
      throw new IllegalArgumentException("chat template drops the assistant's content; Retort cannot train on it");
    }
    Shape s = new Shape(full.substring(0, at), full.substring(at + MARKER.length()));
    if (probe) {
      shape = s;
    }
    return s;
  }

  private static String quote(String s) {
    return "'" + s.replace("\n", "\\n") + "'";
  }
}
