package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharTokenizerTest {
  @TempDir Path tmp;

  /** Vocabulary size of the default char tokenizer: unk + specials + charset. */
  static int defaultVocab() {
    return 1 + CharTokenizer.DEFAULT_SPECIAL_TOKENS.size()
        + (int) CharTokenizer.DEFAULT_CHARSET.codePoints().distinct().count();
  }

  @Test
  void roundTripsTextWithSpecialTokensAndNewlines() throws Exception {
    Path file = tmp.resolve("tokenizer.json");
    CharTokenizer.write(file);
    try (Tokenizer tok = Tokenizer.load(file)) {
      assertEquals(defaultVocab(), tok.vocabSize());
      String prompt = ChatTemplate.chatml().prompt("What is 12 + 30?\nPlease reason step by step.");
      String completion = ChatTemplate.chatml().completion("What is 12 + 30?\nPlease reason step by step.", "12 + 30 = 42.", "The answer is \\boxed{42}.");
      String text = prompt + completion;
      int[] ids = tok.encode(text);
      assertEquals(text, tok.decode(ids));
      // Special tokens are single ids; ordinary characters one id each.
      int think = tok.requireTokenId("<think>");
      int[] t = tok.encode("<think>");
      assertArrayEquals(new int[] {think}, t);
      assertEquals(1, count(ids, tok.requireTokenId(ChatTemplate.THINK_END)));
      assertEquals(2, count(ids, tok.requireTokenId(ChatTemplate.IM_START)));
      assertEquals(2, count(ids, tok.requireTokenId(ChatTemplate.IM_END)));
      int specials = 2 + 2 + 1 + 1; // im_start x2, im_end x2, think, /think
      int chars = text.length() - 2 * "<|im_start|>".length() - 2 * "<|im_end|>".length()
          - "<think>".length() - "</think>".length();
      assertEquals(specials + chars, ids.length);
      // Prompt and completion encoded apart concatenate to the joint encoding (exact loss masks).
      int[] p = tok.encode(prompt);
      int[] c = tok.encode(completion);
      int[] joint = new int[p.length + c.length];
      System.arraycopy(p, 0, joint, 0, p.length);
      System.arraycopy(c, 0, joint, p.length, c.length);
      assertArrayEquals(ids, joint);
      assertEquals(tok.requireTokenId("<|endoftext|>"), tok.eosId());
      assertEquals(tok.requireTokenId("<pad>"), tok.padId());
      assertTrue(tok.specialIds().contains(think));
      assertEquals(text.replace("<think>", "").replace("</think>", "").replace("<|im_start|>", "")
          .replace("<|im_end|>", ""), tok.decode(ids, true));
    }
  }

  @Test
  void longTextIsNotTruncatedAndUnknownCharsMapToUnk() throws Exception {
    Path file = tmp.resolve("t.json");
    CharTokenizer.write(file, "ab", List.of("<|endoftext|>"));
    try (Tokenizer tok = Tokenizer.load(file)) {
      assertEquals(4, tok.vocabSize());
      String longText = "ab".repeat(1500);
      assertEquals(3000, tok.encode(longText).length);
      assertArrayEquals(new int[] {2, 0, 3}, tok.encode("azb"));
      assertEquals("<unk>", tok.decode(new int[] {0}));
    }
  }

  @Test
  void savedTokenizerConfigCarriesChatTemplateAndSpecials() throws Exception {
    Path file = tmp.resolve("src/tokenizer.json");
    CharTokenizer.write(file);
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    try (Tokenizer tok = Tokenizer.load(file)) {
      tok.saveTo(out);
    }
    JsonObject cfg = JsonParser.parseString(Files.readString(out.resolve("tokenizer_config.json")))
        .getAsJsonObject();
    assertEquals("<|endoftext|>", cfg.get("eos_token").getAsString());
    assertEquals("<pad>", cfg.get("pad_token").getAsString());
    assertNotNull(cfg.get("chat_template"));
    try (Tokenizer again = Tokenizer.load(out)) {
      assertEquals("x<|im_end|>", again.decode(again.encode("x<|im_end|>")));
    }
  }

  @Test
  void chatTemplateParsesItsOwnCompletion() {
    ChatTemplate.Parsed p = ChatTemplate.chatml().parse(
        ChatTemplate.chatml().completion("hi", "step one\nstep two", "so \\boxed{7}"));
    assertTrue(p.hasThinkBlock());
    assertEquals("step one\nstep two", p.reasoning());
    assertEquals("so \\boxed{7}", p.answer());
    assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
        ChatTemplate.chatml().prompt("hi"));
  }

  private static int count(int[] ids, int id) {
    int n = 0;
    for (int x : ids) {
      n += x == id ? 1 : 0;
    }
    return n;
  }
}
