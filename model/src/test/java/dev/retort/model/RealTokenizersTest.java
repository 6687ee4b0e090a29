package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The unpacked real tokenizers load, round-trip text and know their end-of-turn tokens. */
class RealTokenizersTest {

  /** The token each family's tokenizer_config.json names as eos_token. */
  static final Map<String, String> EOS = Map.of(
      "qwen3", "<|im_end|>",
      "deepseek_v3", "<｜end▁of▁sentence｜>",
      "llama3", "<|end_of_text|>",
      "llama3_1", "<|eot_id|>");

  @Test
  void everyFamilyUnpacksAndLoads(@TempDir Path tmp) throws Exception {
    String text = "Grüße, world! 2+2=4 🌍";
    for (String family : RealTokenizers.FAMILIES) {
      Path dir = RealTokenizers.unpack(family, tmp.resolve(family));
      assertEquals(true, Files.isRegularFile(dir.resolve("tokenizer_config.json")), family);
      try (Tokenizer tok = Tokenizer.load(dir)) {
        int[] ids = tok.encode(text);
        assertEquals(text, tok.decode(ids), family);
        assertNotNull(tok.eosId(), family);
        assertEquals(tok.requireTokenId(EOS.get(family)), tok.eosId(), family);
        assertArrayEquals(ids, tok.encode(text), family);
      }
    }
  }

  @Test
  void unknownFamilyIsRejected(@TempDir Path tmp) {
    assertThrows(IllegalArgumentException.class, () -> RealTokenizers.unpack("gpt2", tmp));
  }
}
