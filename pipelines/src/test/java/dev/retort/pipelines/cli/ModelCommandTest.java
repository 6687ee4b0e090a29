package dev.retort.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.retort.model.Checkpoint;
import dev.retort.model.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code retort model init} and {@code model score} (an outside interface: JSON with logprobs) on
 * a Qwen3 config in transformers v5 layout, and score's error on a mislabelled checkpoint.
 */
class ModelCommandTest {
  @TempDir Path dir;

  @Test
  void initThenScoreAQwen3Checkpoint() throws Exception {
    Path cfg = dir.resolve("config.json");
    Files.writeString(cfg, "{\"model_type\":\"qwen3\",\"vocab_size\":160,\"hidden_size\":32,"
        + "\"intermediate_size\":64,\"num_hidden_layers\":2,\"num_attention_heads\":4,"
        + "\"num_key_value_heads\":2,\"head_dim\":16,\"tie_word_embeddings\":true,"
        + "\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":1000000.0},"
        + "\"dtype\":\"bfloat16\"}");
    Path model = dir.resolve("m");
    CliRun init = CliRun.of("model", "init", "--config", cfg.toString(), "--out", model.toString(),
        "--dtype", "bf16", "--seed", "3");
    assertEquals(0, init.code(), init.err());
    CliRun score = CliRun.of("model", "score", "--model", model.toString(), "--token-ids", "5,9,2,33,7");
    assertEquals(0, score.code(), score.err());
    JsonArray lp = JsonParser.parseString(score.out()).getAsJsonObject().getAsJsonArray("logprobs");
    assertEquals(4, lp.size());
    try (NDManager m = NDManager.newBaseManager(); LoadedModel lm = Checkpoint.load(model, m)) {
      assertEquals("qwen3", lm.config().modelType());
      double[] expected = lm.sampler().logprobs(new int[] {5, 9, 2, 33, 7});
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], lp.get(i).getAsDouble(), 0.0);
      }
    }

    JsonObject relabelled = JsonParser.parseString(Files.readString(model.resolve("config.json")))
        .getAsJsonObject();
    relabelled.addProperty("model_type", "llama");
    Files.writeString(model.resolve("config.json"), relabelled.toString());
    CliRun bad = CliRun.of("model", "score", "--model", model.toString(), "--token-ids", "5,9,2");
    assertNotEquals(0, bad.code());
    assertTrue(bad.err().contains("q_norm.weight") && bad.err().contains("llama"), bad.err());
  }

  /** A char-tokenizer Qwen2 checkpoint (ChatML template) made by {@code model init}. */
  private Path charCheckpoint() throws Exception {
    Path cfg = dir.resolve("char-config.json");
    Files.writeString(cfg, "{\"model_type\":\"qwen2\",\"vocab_size\":120,\"hidden_size\":32,"
        + "\"intermediate_size\":64,\"num_hidden_layers\":2,\"num_attention_heads\":4,"
        + "\"num_key_value_heads\":2,\"tie_word_embeddings\":true,\"max_position_embeddings\":256}");
    Path model = dir.resolve("char");
    CliRun init = CliRun.of("model", "init", "--config", cfg.toString(), "--out", model.toString(), "--seed", "5");
    assertEquals(0, init.code(), init.err());
    return model;
  }

  @Test
  void renderTokenizeAndGenerateFromMessages() throws Exception {
    Path model = charCheckpoint();
    Path messages = dir.resolve("messages.json");
    Files.writeString(messages, "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":\"What is 2+2?\"}]");

    CliRun render = CliRun.of("model", "render", "--model", model.toString(), "--messages", messages.toString(),
        "--add-generation-prompt");
    assertEquals(0, render.code(), render.err());
    JsonObject r = JsonParser.parseString(render.out()).getAsJsonObject();
    String text = r.get("text").getAsString();
    assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
        + "<|im_start|>assistant\n", text);
    CliRun noGen = CliRun.of("model", "render", "--model", model.toString(), "--messages", messages.toString());
    assertEquals(text.substring(0, text.length() - "<|im_start|>assistant\n".length()),
        JsonParser.parseString(noGen.out()).getAsJsonObject().get("text").getAsString());

    CliRun tokenize = CliRun.of("model", "tokenize", "--model", model.toString(), "--text", text);
    assertEquals(0, tokenize.code(), tokenize.err());
    JsonArray ids = JsonParser.parseString(tokenize.out()).getAsJsonObject().getAsJsonArray("token_ids");
    assertEquals(r.getAsJsonArray("token_ids"), ids);
    // Each ChatML marker is one id: 5 markers + the characters between them.
    int chars = text.replace("<|im_start|>", "").replace("<|im_end|>", "").length();
    assertEquals(chars + 5, ids.size());

    CliRun gen = CliRun.of("model", "generate", "--model", model.toString(), "--messages", messages.toString(),
        "--max-new-tokens", "7", "--temperature", "0");
    assertEquals(0, gen.code(), gen.err());
    JsonObject g = JsonParser.parseString(gen.out()).getAsJsonObject();
    assertEquals(ids.size(), g.get("prompt_tokens").getAsInt());
    JsonArray out = g.getAsJsonArray("token_ids");
    assertTrue(out.size() >= 1 && out.size() <= 7, out.toString());
    try (NDManager m = NDManager.newBaseManager(); LoadedModel lm = Checkpoint.load(model, m)) {
      if (g.get("finish_reason").getAsString().equals("stop")) {
        assertTrue(lm.stopTokenIds().contains(out.get(out.size() - 1).getAsInt()));
      } else {
        assertEquals(7, out.size());
      }
    }
    CliRun same = CliRun.of("model", "generate", "--model", model.toString(), "--messages", messages.toString(),
        "--max-new-tokens", "7", "--temperature", "0");
    assertEquals(out, JsonParser.parseString(same.out()).getAsJsonObject().getAsJsonArray("token_ids"));

    Files.writeString(messages, "{\"messages\": []}");
    CliRun empty = CliRun.of("model", "render", "--model", model.toString(), "--messages", messages.toString());
    assertEquals(2, empty.code());
    assertTrue(empty.err().contains("non-empty list"), empty.err());
  }
}
