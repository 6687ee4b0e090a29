package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.SftExample;
import dev.retort.model.ChatMessage;
import dev.retort.model.ChatTemplate;
import dev.retort.model.RealTokenizers;
import dev.retort.model.Tokenizer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SFT on real tokenizers with their real chat templates: the trained ids are exactly the final
 * assistant turn (what rendering the conversation with it adds to rendering it without, through
 * the template's end of turn), the context ids are exactly the prompt that eval and serving feed
 * the model, and the row's completion column gives the same ids as its reasoning/answer columns.
 */
class RealTemplateLossMaskTest {
  @TempDir Path tmp;

  static String template(String name) throws Exception {
    try (InputStream in = RealTemplateLossMaskTest.class.getResourceAsStream("/chat-templates/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @ParameterizedTest(name = "{1} on {0}")
  @CsvSource({
      "qwen3, qwen2_5_instruct.jinja, <|im_end|>",
      "qwen3, qwen3.jinja, <|im_end|>",
      "deepseek_v3, deepseek_r1_distill.jinja, <｜end▁of▁sentence｜>",
      "deepseek_v3, deepseek_v3.jinja, <｜end▁of▁sentence｜>",
      "llama3_1, llama3_1_instruct.jinja, <|eot_id|>"})
  void theLossCoversExactlyTheFinalAssistantTurn(String family, String templateFile, String endToken)
      throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(family));
    RealTokenizers.unpack(family, dir);
    Files.writeString(dir.resolve(Tokenizer.CHAT_TEMPLATE_FILE), template(templateFile));
    try (Tokenizer tok = Tokenizer.load(dir)) {
      ChatTemplate t = tok.chatTemplate();
      SftEncoder enc = new SftEncoder(tok, t);
      String question = "A train covers 120 km in 2 hours. What is its speed?\nPlease reason step by step.";
      String reasoning = "Speed is distance over time: 120 / 2 = 60.";
      String answer = "The speed is \\boxed{60} km/h.";
      SftExample row = new SftExample("p1", 0, "test", question, reasoning, answer, null, null);
      SftEncoder.Encoded e = enc.encode(row);

      List<ChatMessage> chat = List.of(ChatMessage.user(question));
      String prompt = t.prompt(chat);
      String turn = t.completion(chat, ChatTemplate.assistantContent(reasoning, answer));
      assertArrayEquals(tok.encode(prompt), Arrays.copyOf(e.tokens(), e.promptLength()), "context = prompt");
      int[] trained = Arrays.copyOfRange(e.tokens(), e.promptLength(), e.length());
      assertArrayEquals(tok.encode(turn), trained, "trained ids = the final turn");
      assertEquals(turn, tok.decode(trained));
      assertTrue(turn.contains(reasoning) && turn.contains(answer));
      int end = tok.requireTokenId(endToken);
      assertTrue(Arrays.stream(trained).anyMatch(x -> x == end), "the turn teaches the model to stop");
      // Nothing of the turn leaks into the context, nothing of the prompt into the trained ids.
      assertTrue(!prompt.contains(answer) && !prompt.contains(reasoning));

      String completion = "<think>\n" + reasoning + "\n</think>\n\n" + answer;
      SftExample completionOnly = new SftExample("p1", 0, "test", question, null, null, completion, null);
      assertArrayEquals(e.tokens(), enc.encode(completionOnly).tokens(), "both SFT views give the same ids");
    }
  }
}
