package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real chat templates on real tokenizer files: the prompt and the trained turn that
 * {@link ChatTemplate} derives, the end of turn, BOS handling and the reasoning split.
 */
class ChatTemplateRealTest {
  @TempDir static Path tmp;

  static final String REASONING = "17 * 3 = 51.\nCheck: 51 / 3 = 17.";
  static final String ANSWER = "The answer is \\boxed{51}.";

  /**
   * (tokenizer family, template resource, the template's end-of-turn token). The base Llama-3
   * template (llama3.jinja) is left out: it writes an assistant header after every conversation,
   * so it is no format to train a turn on (its rendering is checked in the parity test).
   */
  static Stream<Arguments> families() {
    return Stream.of(
        Arguments.of("qwen3", "qwen2_5_instruct.jinja", "<|im_end|>"),
        Arguments.of("qwen3", "qwen3.jinja", "<|im_end|>"),
        Arguments.of("deepseek_v3", "deepseek_r1_distill.jinja", "<｜end▁of▁sentence｜>"),
        Arguments.of("deepseek_v3", "deepseek_v3.jinja", "<｜end▁of▁sentence｜>"),
        Arguments.of("llama3_1", "llama3_1_instruct.jinja", "<|eot_id|>"),
        Arguments.of("llama3_1", "llama3_2_instruct.jinja", "<|eot_id|>"));
  }

  static String resource(String name) throws IOException {
    try (InputStream in = ChatTemplateRealTest.class.getResourceAsStream("/chat-templates/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource chat-templates/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static final java.util.Map<String, Tokenizer> TOKENIZERS = new java.util.HashMap<>();

  @org.junit.jupiter.api.AfterAll
  static void closeTokenizers() {
    TOKENIZERS.values().forEach(Tokenizer::close);
  }

  /** The family's real tokenizer (loaded once per class: a 150k-token vocabulary takes a while). */
  static synchronized Tokenizer tokenizer(String family) throws IOException {
    Tokenizer tok = TOKENIZERS.get(family);
    if (tok == null) {
      Path dir = Files.createDirectories(tmp.resolve(family));
      RealTokenizers.unpack(family, dir);
      tok = Tokenizer.load(dir);
      TOKENIZERS.put(family, tok);
    }
    return tok;
  }

  /** {@code template} with the family's bos/eos strings, as a checkpoint holding both would give it. */
  static ChatTemplate template(Tokenizer tok, String template) throws IOException {
    return ChatTemplate.of(resource(template), tok.tokenString(tok.bosId()), tok.tokenString(tok.eosId()));
  }

  static int count(int[] ids, Integer id) {
    int n = 0;
    for (int x : ids) {
      n += id != null && x == id ? 1 : 0;
    }
    return n;
  }

  static int occurrences(String text, String token) {
    int n = 0;
    for (int at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + token.length())) {
      n++;
    }
    return n;
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("families")
  void promptAndTrainedTurnRebuildWhatTheModelSees(String family, String template, String endToken)
      throws IOException {
    Tokenizer tok = tokenizer(family);
    {
      ChatTemplate t = template(tok, template);
      List<ChatMessage> chat = List.of(ChatMessage.system("You are terse."),
          ChatMessage.user("What is 17 * 3?"));
      String content = ChatTemplate.assistantContent(REASONING, ANSWER);
      String prompt = t.prompt(chat);
      String turn = t.completion(chat, content);
      List<ChatMessage> withTurn = new java.util.ArrayList<>(chat);
      withTurn.add(ChatMessage.assistant(content));
      String full = t.render(withTurn, false);
      if (full.startsWith(prompt)) {
        // The template keeps the reasoning: the trained turn is exactly what it adds.
        assertEquals(full, prompt + turn);
      } else {
        // DeepSeek-R1 drops reasoning from rendered assistant turns and opens <think> itself.
        assertTrue(t.opensThink(), "only a template that opens <think> may rewrite the turn");
        assertTrue((prompt + turn).contains(REASONING), "the reasoning is trained on");
      }
      assertTrue(turn.contains(REASONING) && turn.contains(ANSWER), turn);
      assertTrue(turn.stripTrailing().endsWith(endToken), "turn ends with " + endToken + ": " + turn);
      assertEquals(endToken, t.endOfTurn().strip());
      assertEquals(tok.requireTokenId(endToken), t.endOfTurnIds(tok).get(0));

      // Special tokens in the rendered text are single ids; a BOS is never doubled.
      int[] ids = tok.encode(prompt + turn);
      for (String special : List.of(endToken, "<|im_start|>", "<|start_header_id|>", "<｜User｜>")) {
        Integer id = tok.tokenId(special);
        if (id != null) {
          assertEquals(occurrences(prompt + turn, special), count(ids, id), special + " in " + prompt + turn);
        }
      }
      String bos = tok.tokenString(tok.bosId());
      if (bos != null && (prompt + turn).startsWith(bos)) {
        assertEquals(tok.bosId(), ids[0]);
        assertEquals(1, count(ids, tok.bosId()), "one BOS");
      }

      // The generated turn splits back into reasoning and answer.
      ChatTemplate.Parsed parsed = t.parse(turn);
      assertTrue(parsed.hasThinkBlock());
      assertEquals(REASONING, parsed.reasoning());
      assertEquals(ANSWER, parsed.answer());
    }
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("families")
  void multiTurnHistoryIsKeptInThePrompt(String family, String template, String endToken)
      throws IOException {
    {
      ChatTemplate t = template(tokenizer(family), template);
      List<ChatMessage> chat = List.of(ChatMessage.user("First question?"),
          ChatMessage.assistant("First answer."), ChatMessage.user("Second question?"));
      String prompt = t.prompt(chat);
      assertTrue(prompt.contains("First question?") && prompt.contains("First answer.")
          && prompt.contains("Second question?"), prompt);
      assertFalse(prompt.strip().endsWith(endToken), "a generation prompt, not a closed turn: " + prompt);
    }
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"qwen3", "deepseek_v3", "llama3_1"})
  void aCheckpointsOwnTemplateIsFoundAndTheTrainedOneIsSaved(String family) throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src-" + family));
    RealTokenizers.unpack(family, src);
    Path out = Files.createDirectories(tmp.resolve("saved-" + family));
    try (Tokenizer tok = Tokenizer.load(src)) {
      // The npm packages carry the model's template in tokenizer_config.json.
      assertTrue(tok.chatTemplate().source().contains("message"), "template read from tokenizer_config.json");
      tok.saveTo(out, ChatTemplate.chatml());
    }
    try (Tokenizer again = Tokenizer.load(out)) {
      assertEquals(ChatTemplate.CHATML_JINJA, again.chatTemplate().source());
    }
    Files.writeString(out.resolve(Tokenizer.CHAT_TEMPLATE_FILE), resource("qwen3.jinja"));
    try (Tokenizer v5 = Tokenizer.load(out)) {
      assertEquals(resource("qwen3.jinja"), v5.chatTemplate().source(), "chat_template.jinja wins (transformers v5)");
    }
  }
}
