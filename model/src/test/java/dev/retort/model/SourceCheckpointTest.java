package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model loaded from a Hub-style checkpoint and saved again keeps what the source said: its
 * dtype, its config.json keys (including ones Retort does not read), its generation_config.json.
 */
class SourceCheckpointTest {
  static NDManager manager;
  static final int[] SEQ = {1, 5, 9, 2, 33, 7, 7, 30};

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() {
    manager = TestModels.manager();
  }

  @AfterAll
  static void tearDown() {
    manager.close();
  }

  static JsonObject json(Path file) throws Exception {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  static final String GENERATION = "{\"bos_token_id\":1,\"do_sample\":true,"
      + "\"eos_token_id\":[3,2],\"pad_token_id\":0,\"temperature\":0.6,\"top_k\":20,"
      + "\"top_p\":0.95,\"transformers_version\":\"4.51.0\"}";

  /**
   * A bf16 Qwen3 checkpoint as the Hub has them: a v5 config.json with keys we do not read,
   * a generation_config.json with an eos list and sampling defaults.
   */
  private Path hubCheckpoint(String name, boolean v5) throws Exception {
    ModelConfig c = TestModels.qwen3(40).withSpecialTokens(1, List.of(3), 0);
    Path dir = tmp.resolve(name);
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(c, 6, m);
      TestModels.randomize(t, 37);
      Checkpoint.save(t, c, dir, DataType.BFLOAT16, null);
    }
    JsonObject cfg = json(dir.resolve("config.json"));
    if (v5) {
      JsonObject rp = new JsonObject();
      rp.addProperty("rope_type", "default");
      rp.addProperty("rope_theta", cfg.remove("rope_theta").getAsDouble());
      cfg.remove("rope_scaling");
      cfg.add("rope_parameters", rp);
      cfg.add("dtype", cfg.remove("torch_dtype"));
      cfg.addProperty("transformers_version", "5.0.0");
    } else {
      cfg.addProperty("transformers_version", "4.51.0");
    }
    cfg.add("quirk", JsonParser.parseString("{\"kept\":[1,2,{\"x\":null}]}"));
    cfg.addProperty("initializer_range", 0.0123);
    Files.writeString(dir.resolve("config.json"), cfg.toString());
    Files.writeString(dir.resolve("generation_config.json"), GENERATION);
    return dir;
  }

  @Test
  void bf16SourceIsSavedAsBf16WithItsConfigAndGenerationConfigAndScoresIdentically()
      throws Exception {
    for (boolean v5 : new boolean[] {true, false}) {
      Path src = hubCheckpoint("src" + v5, v5);
      Path out = tmp.resolve("out" + v5);
      double[] before;
      try (NDManager m = manager.newSubManager(); LoadedModel lm = Checkpoint.load(src, m)) {
        assertEquals(DataType.BFLOAT16, lm.source().dtype());
        before = lm.sampler().logprobs(SEQ);
        Checkpoint.save(lm.model(), lm.config(), out, null, null, lm.source());
      }
      // Nothing changed, so config.json and generation_config.json are the source's, key for key.
      assertEquals(json(src.resolve("config.json")), json(out.resolve("config.json")));
      assertEquals(json(src.resolve("generation_config.json")),
          json(out.resolve("generation_config.json")));
      // Same dtype and the same bits (bf16 widens to f32 exactly and narrows back exactly).
      List<Map<String, CheckpointFiles.Raw>> tensors = new java.util.ArrayList<>();
      CheckpointFiles.edit(src, t -> tensors.add(Map.copyOf(t)));
      CheckpointFiles.edit(out, t -> tensors.add(Map.copyOf(t)));
      assertEquals(tensors.get(0).keySet(), tensors.get(1).keySet());
      tensors.get(0).forEach((name, raw) -> {
        assertEquals("BF16", tensors.get(1).get(name).dtype(), name);
        assertArrayEquals(raw.bytes(), tensors.get(1).get(name).bytes(), name);
      });
      try (NDManager m = manager.newSubManager(); LoadedModel lm = Checkpoint.load(out, m)) {
        assertArrayEquals(before, lm.sampler().logprobs(SEQ));
        assertEquals(List.of(3, 2), lm.stopTokenIds());
      }
    }
  }

  @Test
  void changesAreWrittenInTheSourceLayoutAndEverythingElseKept() throws Exception {
    Path src = hubCheckpoint("v5", true);
    Path out = tmp.resolve("changed");
    try (NDManager m = manager.newSubManager(); LoadedModel lm = Checkpoint.load(src, m)) {
      ModelConfig changed = lm.config().withSpecialTokens(1, List.of(4, 3), 0);
      Transformer t = new Transformer(changed, lm.model().weights(), m.newSubManager());
      Checkpoint.save(t, changed, out, DataType.FLOAT32, null, lm.source());
    }
    JsonObject cfg = json(out.resolve("config.json"));
    JsonObject expected = json(src.resolve("config.json"));
    expected.add("eos_token_id", JsonParser.parseString("[4,3]"));
    expected.addProperty("dtype", "float32"); // v5's key, and no torch_dtype added
    assertEquals(expected, cfg);
    assertFalse(cfg.has("torch_dtype"));
    JsonObject gen = json(out.resolve("generation_config.json"));
    JsonObject expectedGen = JsonParser.parseString(GENERATION).getAsJsonObject();
    expectedGen.add("eos_token_id", JsonParser.parseString("[4,3]"));
    assertEquals(expectedGen, gen);
    try (Safetensors.Reader r = Safetensors.Reader.open(out.resolve("model.safetensors"))) {
      r.tensors().values().forEach(i -> assertEquals("F32", i.dtype(), i.name()));
    }
  }

  @Test
  void v4SourceKeepsTorchDtypeKeyAndSourceWithoutGenerationConfigGetsOne() throws Exception {
    Path src = hubCheckpoint("v4", false);
    Files.delete(src.resolve("generation_config.json"));
    Path out = tmp.resolve("v4out");
    try (NDManager m = manager.newSubManager(); LoadedModel lm = Checkpoint.load(src, m)) {
      assertNull(lm.source().generationConfig());
      Checkpoint.save(lm.model(), lm.config(), out, DataType.FLOAT32, null, lm.source());
    }
    JsonObject cfg = json(out.resolve("config.json"));
    assertEquals("float32", cfg.get("torch_dtype").getAsString());
    assertFalse(cfg.has("dtype"));
    assertEquals(0.0123, cfg.get("initializer_range").getAsDouble());
    assertTrue(cfg.has("quirk"));
    JsonObject gen = json(out.resolve("generation_config.json"));
    assertEquals(3, gen.get("eos_token_id").getAsInt());
    assertEquals(1, gen.get("bos_token_id").getAsInt());
  }

  @Test
  void modelsRetortCreatesKeepTodaysFiles() throws Exception {
    ModelConfig c = TestModels.qwen3(40);
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(c, 6, m);
      Checkpoint.save(t, c, a, DataType.FLOAT32, null);
      Checkpoint.save(t, c, b, null, null, (SourceCheckpoint) null);
    }
    assertEquals(Files.readString(a.resolve("config.json")),
        Files.readString(b.resolve("config.json")));
    assertEquals(json(a.resolve("config.json")),
        JsonParser.parseString(c.toJson("float32")).getAsJsonObject());
    assertEquals(Files.readString(a.resolve("generation_config.json")),
        Files.readString(b.resolve("generation_config.json")));
  }
}
