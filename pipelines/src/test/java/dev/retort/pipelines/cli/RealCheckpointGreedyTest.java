package dev.retort.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.retort.model.Checkpoint;
import dev.retort.model.LoadedModel;
import dev.retort.model.PythonRef;
import dev.retort.model.RealTokenizers;
import dev.retort.model.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The scripted model interfaces on tiny random checkpoints that carry real tokenizers and real chat
 * templates (Qwen3; an R1-Distill-style Qwen2 with the DeepSeek tokenizer and R1's template;
 * Llama-3.1 with llama3 rope scaling): {@code model render} equals Python jinja2 rendering the
 * template as transformers does, and {@code model generate --temperature 0} equals greedy decoding
 * by the independent numpy transcription of transformers' forward (hf_reference.py), stopping at
 * the checkpoint's eos ids; where bin/python-env's Python is there, also transformers itself:
 * apply_chat_template, its tokenizer's ids and model.generate.
 */
class RealCheckpointGreedyTest {
  static final Path HF_REFERENCE = Paths.get("../model/src/test/python/hf_reference.py").toAbsolutePath();
  static final Path HF_TRANSFORMERS = Paths.get("../model/src/test/python/hf_transformers.py").toAbsolutePath();
  static final Path CHAT_REFERENCE = Paths.get("../model/src/test/python/chat_reference.py").toAbsolutePath();

  @TempDir Path dir;

  static String resource(String name) throws IOException {
    try (InputStream in = RealCheckpointGreedyTest.class.getResourceAsStream("/chat-templates/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @ParameterizedTest(name = "{0} with the {1} tokenizer")
  @CsvSource({
      "qwen3, qwen3, '', '\"head_dim\":8,'",
      "qwen2, deepseek_v3, deepseek_r1_distill.jinja, ''",
      "llama, llama3_1, llama3_1_instruct.jinja, '\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":64},'"})
  void renderAndGreedyGenerateMatchTheReferences(String modelType, String family, String template, String extra)
      throws Exception {
    PythonRef.require("numpy", "jinja2");
    Path tok = Files.createDirectories(dir.resolve("tok"));
    RealTokenizers.unpack(family, tok);
    if (!template.isEmpty()) {
      Files.writeString(tok.resolve(Tokenizer.CHAT_TEMPLATE_FILE), resource(template));
    }
    int vocab;
    try (Tokenizer t = Tokenizer.load(tok)) {
      vocab = t.vocabSize();
    }
    Path cfg = dir.resolve("config.json");
    Files.writeString(cfg, "{\"model_type\":\"" + modelType + "\",\"vocab_size\":" + vocab + ","
        + "\"hidden_size\":16,\"intermediate_size\":32,\"num_hidden_layers\":2,\"num_attention_heads\":2,"
        + "\"num_key_value_heads\":1," + extra + "\"tie_word_embeddings\":true,\"max_position_embeddings\":256}");
    Path model = dir.resolve("model");
    CliRun init = CliRun.of("model", "init", "--config", cfg.toString(), "--out", model.toString(),
        "--tokenizer", tok.resolve("tokenizer.json").toString(), "--seed", "11");
    assertEquals(0, init.code(), init.err());

    String messagesJson = "[{\"role\":\"system\",\"content\":\"You are a careful assistant.\"},"
        + "{\"role\":\"user\",\"content\":\"What is 7 * 6? Answer with \\\\boxed{}.\"}]";
    Path messages = dir.resolve("messages.json");
    Files.writeString(messages, messagesJson);

    CliRun render = CliRun.of("model", "render", "--model", model.toString(), "--messages", messages.toString(),
        "--add-generation-prompt");
    assertEquals(0, render.code(), render.err());
    JsonObject r = JsonParser.parseString(render.out()).getAsJsonObject();
    String text = r.get("text").getAsString();

    // Python jinja2 as transformers renders, with the saved checkpoint's template and special tokens.
    JsonObject tc = JsonParser.parseString(Files.readString(model.resolve("tokenizer_config.json"))).getAsJsonObject();
    String source = Files.isRegularFile(model.resolve(Tokenizer.CHAT_TEMPLATE_FILE))
        ? Files.readString(model.resolve(Tokenizer.CHAT_TEMPLATE_FILE)) : tc.get("chat_template").getAsString();
    JsonObject context = new JsonObject();
    context.add("messages", JsonParser.parseString(messagesJson));
    context.addProperty("add_generation_prompt", true);
    for (String key : List.of("bos_token", "eos_token")) {
      if (tc.has(key) && !tc.get(key).isJsonNull()) {
        var v = tc.get(key);
        context.addProperty(key, v.isJsonObject() ? v.getAsJsonObject().get("content").getAsString() : v.getAsString());
      }
    }
    JsonObject c = new JsonObject();
    c.addProperty("template", source);
    c.add("context", context);
    JsonArray cases = new JsonArray();
    cases.add(c);
    JsonObject req = new JsonObject();
    req.add("cases", cases);
    JsonObject py = JsonParser.parseString(PythonRef.run(List.of("python3", CHAT_REFERENCE.toString()), req.toString()))
        .getAsJsonArray().get(0).getAsJsonObject();
    assertEquals(py.get("output").getAsString(), text, "render equals jinja2's");

    int maxNew = 12;
    CliRun gen = CliRun.of("model", "generate", "--model", model.toString(), "--messages", messages.toString(),
        "--max-new-tokens", String.valueOf(maxNew), "--temperature", "0");
    assertEquals(0, gen.code(), gen.err());
    JsonArray ids = JsonParser.parseString(gen.out()).getAsJsonObject().getAsJsonArray("token_ids");
    List<Integer> eos;
    try (NDManager m = NDManager.newBaseManager(); LoadedModel lm = Checkpoint.load(model, m)) {
      eos = lm.stopTokenIds();
    }
    JsonObject greedy = new JsonObject();
    greedy.add("ids", r.getAsJsonArray("token_ids"));
    greedy.addProperty("max_new_tokens", maxNew);
    JsonArray e = new JsonArray();
    eos.forEach(e::add);
    greedy.add("eos", e);
    JsonObject ref = JsonParser.parseString(PythonRef.run(List.of("python3", HF_REFERENCE.toString(), model.toString(),
        "--greedy", greedy.toString()), "")).getAsJsonObject();
    assertTrue(ref.get("min_gap").getAsDouble() > 1e-4,
        "a near tie between the two best tokens makes greedy ill-posed: pick another seed");
    assertEquals(ref.getAsJsonArray("token_ids"), ids, "greedy continuation equals the reference's");

    // transformers itself, where bin/python-env's Python is there: its chat template rendering
    // and tokenization, and model.generate.
    Optional<String> python = PythonRef.ecosystemIfPresent();
    if (python.isPresent()) {
      JsonObject chat = new JsonObject();
      chat.add("messages", JsonParser.parseString(messagesJson));
      chat.addProperty("add_generation_prompt", true);
      JsonObject hf = JsonParser.parseString(PythonRef.run(List.of(python.get(), HF_TRANSFORMERS.toString(), model.toString(),
          "--render", chat.toString()), "")).getAsJsonObject();
      assertEquals(hf.get("text").getAsString(), text, "render equals transformers' apply_chat_template");
      assertEquals(hf.getAsJsonArray("token_ids"), r.getAsJsonArray("token_ids"), "prompt ids equal transformers' tokenizer's");
      JsonObject gen2 = JsonParser.parseString(PythonRef.run(List.of(python.get(), HF_TRANSFORMERS.toString(), model.toString(),
          "--greedy", greedy.toString()), "")).getAsJsonObject();
      assertEquals(gen2.getAsJsonArray("token_ids"), ids, "greedy continuation equals transformers' generate");
    }
  }
}
