package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.retort.core.io.Json;
import dev.retort.model.PythonRef;
import dev.retort.model.RealTokenizers;
import dev.retort.model.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Retort's SFT data and token cache as the Python ecosystem reads them, with transformers, TRL,
 * datasets and pyarrow themselves (bin/python-env): the TRL trainer's tokenization of the SFT
 * Parquet (train_trl.py, transformers' tokenizer) gives exactly the ids and loss mask of
 * Retort's {@link SftEncoder}; the Arrow IPC token cache reads in pyarrow and in
 * {@code datasets.Dataset.from_file} as Retort wrote it; TRL takes the SFT view's messages
 * column for a conversation. On Retort's character tokenizer (a qwen2 student, which transformers
 * 5's AutoTokenizer would rebuild as a byte-level BPE that drops spaces) and on real tokenizers with
 * their own chat templates.
 */
class TrlEcosystemParityTest {
  static final Path SCRIPT = Paths.get("src/test/python/trl_tokens.py").toAbsolutePath();
  static final int MAX_LENGTH = 1024;

  @TempDir Path tmp;

  @Test
  void characterTokenizerOfARandomInitStudent() throws Exception {
    String python = PythonRef.ecosystem();
    Path data = TestData.sft(tmp.resolve("sft"), 12, 5);
    TrainSettings s = TestData.tiny();
    // The handoff's own init/ folder: config.json (model_type qwen2) and the tokenizer files.
    Path handoff = tmp.resolve("handoff");
    TrlHandoff.write(s, data, handoff);
    Path init = handoff.resolve("init");
    Path template = Files.writeString(tmp.resolve("template.jinja"),
        Json.read(handoff.resolve(TrlHandoff.SETTINGS)).get("chat_template").asText());
    try (Tokenizer tok = Tokenizer.load(init)) {
      compare(python, init, data, new SftEncoder(tok, s.chatTemplate(tok)), template);
    }
  }

  @ParameterizedTest(name = "{0} with {1}")
  @CsvSource({"qwen3, qwen3.jinja", "deepseek_v3, deepseek_r1_distill.jinja", "llama3_1, llama3_1_instruct.jinja"})
  void realTokenizerWithItsChatTemplate(String family, String templateFile) throws Exception {
    String python = PythonRef.ecosystem();
    Path data = TestData.sft(tmp.resolve("sft"), 12, 6);
    Path dir = RealTokenizers.unpack(family, tmp.resolve(family));
    Path template = Files.writeString(dir.resolve(Tokenizer.CHAT_TEMPLATE_FILE), RealTemplateLossMaskTest.template(templateFile));
    try (Tokenizer tok = Tokenizer.load(dir)) {
      compare(python, dir, data, new SftEncoder(tok, tok.chatTemplate()), template);
    }
  }

  private void compare(String python, Path checkpoint, Path data, SftEncoder encoder, Path template) throws Exception {
    Path arrow = tmp.resolve("tokens.arrow");
    List<int[]> ids = new ArrayList<>();
    List<Integer> promptLengths = new ArrayList<>();
    try (TokenStore store = TokenStore.build(data, encoder, MAX_LENGTH, arrow)) {
      assertEquals(12, store.size());
      for (int i = 0; i < store.size(); i++) {
        ids.add(store.tokens(i));
        promptLengths.add(store.promptLength(i));
      }
    }
    JsonObject py = JsonParser.parseString(PythonRef.run(List.of(python, SCRIPT.toString(), checkpoint.toString(),
        data.toString(), arrow.toString(), String.valueOf(MAX_LENGTH), template.toString()), "")).getAsJsonObject();
    for (String reader : List.of("pyarrow", "datasets", "trl")) {
      JsonArray rows = py.getAsJsonArray(reader);
      assertEquals(ids.size(), rows.size(), reader + " rows");
      for (int i = 0; i < rows.size(); i++) {
        JsonObject r = rows.get(i).getAsJsonObject();
        String where = reader + " row " + i;
        assertEquals(Arrays.toString(ids.get(i)), Arrays.toString(ints(r.getAsJsonArray("input_ids"))), where + ": input_ids");
        int[] mask = ints(r.getAsJsonArray("completion_mask"));
        int p = promptLengths.get(i);
        for (int t = 0; t < mask.length; t++) {
          assertEquals(t >= p ? 1 : 0, mask[t], where + ": completion_mask at " + t + " (prompt length " + p + ")");
        }
        if (!reader.equals("trl")) {
          assertEquals(p, r.get("prompt_length").getAsInt(), where + ": prompt_length");
        }
      }
    }
    assertTrue(py.get("conversational").getAsBoolean(), "TRL reads the messages column as a conversation: " + py.get("columns"));
  }

  private static int[] ints(JsonArray a) {
    int[] out = new int[a.size()];
    int i = 0;
    for (JsonElement e : a) {
      out[i++] = e.getAsInt();
    }
    return out;
  }
}
