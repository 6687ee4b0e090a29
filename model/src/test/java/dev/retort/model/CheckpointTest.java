package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  static NDManager manager;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() {
    manager = TestModels.manager();
  }

  @AfterAll
  static void tearDown() {
    manager.close();
  }

  @Test
  void saveThenLoadIsBitwiseIdentical() throws Exception {
    for (ModelConfig c : new ModelConfig[] {TestModels.qwen(40), TestModels.llama(40)}) {
      Path dir = tmp.resolve(c.modelType());
      try (NDManager m = manager.newSubManager()) {
        Transformer t = Transformer.create(c, 21, m);
        Map<String, float[]> before = t.parameterValues();
        Checkpoint.save(t, c, dir, DataType.FLOAT32, null);
        try (LoadedModel lm = Checkpoint.load(dir, m)) {
          assertEquals(c, lm.config());
          Map<String, float[]> after = lm.model().parameterValues();
          assertEquals(before.keySet(), after.keySet());
          before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
          assertArrayEquals(t.logits(m, new long[][] {{1, 2, 3}}).toFloatArray(),
              lm.model().logits(m, new long[][] {{1, 2, 3}}).toFloatArray());
        }
      }
      assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
      assertTrue(Files.isRegularFile(dir.resolve("generation_config.json")));
      assertFalse(Files.exists(tmp.resolve(c.modelType() + ".tmp")), "temp folder left behind");
      boolean tied = c.tieWordEmbeddings();
      try (Safetensors.Reader r = Safetensors.Reader.open(dir.resolve("model.safetensors"))) {
        assertEquals(!tied, r.tensors().containsKey("lm_head.weight"));
        assertEquals("pt", r.metadata().get("format"));
      }
    }
  }

  @Test
  void shardedSaveWritesIndexAndLoadsIdentically() throws Exception {
    ModelConfig c = TestModels.llama(40);
    Path dir = tmp.resolve("sharded");
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(c, 4, m);
      Checkpoint.save(t, c, dir, DataType.FLOAT32, null, 10_000);
      List<Path> files = Checkpoint.weightFiles(dir);
      assertTrue(files.size() > 1, "expected several shards, got " + files);
      assertFalse(Files.exists(dir.resolve("model.safetensors")));
      JsonObject index = JsonParser.parseString(Files.readString(dir.resolve(
          "model.safetensors.index.json"))).getAsJsonObject();
      assertEquals(c.parameterCount() * 4,
          index.getAsJsonObject("metadata").get("total_size").getAsLong());
      assertEquals(Transformer.expectedShapes(c).keySet(),
          index.getAsJsonObject("weight_map").keySet());
      try (LoadedModel lm = Checkpoint.load(dir, m)) {
        Map<String, float[]> after = lm.model().parameterValues();
        t.parameterValues().forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
      }
    }
  }

  /** Nearest bf16 value of f (ties to even), computed in exact decimal arithmetic. */
  static float bf16Expected(float f) {
    int bits = Float.floatToRawIntBits(f);
    float down = Float.intBitsToFloat(bits & 0xFFFF0000);
    float up = Float.intBitsToFloat((bits & 0xFFFF0000) + 0x10000);
    BigDecimal x = new BigDecimal(f);
    int cmp = x.subtract(new BigDecimal(down)).abs().compareTo(x.subtract(new BigDecimal(up)).abs());
    if (cmp != 0) {
      return cmp < 0 ? down : up;
    }
    return ((Float.floatToRawIntBits(down) >>> 16) & 1) == 0 ? down : up;
  }

  @Test
  void bf16FileReadsBackAsRoundedFloats() throws Exception {
    float[] values = new float[4099];
    java.util.Random r = new java.util.Random(1);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(8) - 4));
    }
    values[0] = 1.00390625f; // exactly half-way between two bf16 values: ties to even (1.0)
    values[1] = 1.01171875f; // half-way, rounds up to even
    values[2] = -0f;
    Path file = tmp.resolve("bf16.safetensors");
    try (NDManager m = manager.newSubManager()) {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      tensors.put("w", m.create(values, new ai.djl.ndarray.types.Shape(4099)));
      Safetensors.write(file, tensors, DataType.BFLOAT16);
      assertEquals(8 + 4099 * 2, Files.size(file) - headerLength(file));
      try (Safetensors.Reader rd = Safetensors.Reader.open(file)) {
        assertEquals("BF16", rd.tensors().get("w").dtype());
        float[] back = rd.readFloats("w");
        for (int i = 0; i < values.length; i++) {
          assertEquals(bf16Expected(values[i]), back[i], 0f, "value " + values[i]);
        }
        assertEquals(1.0f, back[0]);
        assertEquals(1.015625f, back[1]);
        float[] viaArray = rd.read("w", m).toFloatArray();
        assertArrayEquals(back, viaArray);
      }
    }
  }

  @Test
  void f16FileReadsBackExactlyForRepresentableValues() throws Exception {
    float[] values = {0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, 0.333251953125f};
    Path file = tmp.resolve("f16.safetensors");
    try (NDManager m = manager.newSubManager()) {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      tensors.put("h", m.create(values));
      Safetensors.write(file, tensors, DataType.FLOAT16);
      try (Safetensors.Reader rd = Safetensors.Reader.open(file)) {
        assertArrayEquals(values, rd.readFloats("h"));
      }
    }
  }

  @Test
  void chunkedReadAndWriteOfLargeTensorsMatch() throws Exception {
    long saved = Safetensors.chunkBytes;
    Safetensors.chunkBytes = 1000; // force the >2 GB code path on a small tensor
    try (NDManager m = manager.newSubManager()) {
      float[] values = new float[37 * 29];
      for (int i = 0; i < values.length; i++) {
        values[i] = i * 0.5f - 100;
      }
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      tensors.put("big", m.create(values, new ai.djl.ndarray.types.Shape(37, 29)));
      Path file = tmp.resolve("big.safetensors");
      Safetensors.write(file, tensors, DataType.FLOAT32);
      try (Safetensors.Reader rd = Safetensors.Reader.open(file)) {
        NDArray back = rd.read("big", m);
        assertEquals(new ai.djl.ndarray.types.Shape(37, 29), back.getShape());
        assertArrayEquals(values, back.toFloatArray());
      }
    } finally {
      Safetensors.chunkBytes = saved;
    }
  }

  /**
   * Reading a bf16 tensor a block of rows at a time gives the written values, maps no file pages
   * and leaves at most the reader's two block-sized scratch buffers of direct memory (a mapped
   * or per-block direct buffer stays resident until a garbage collection frees it).
   */
  @Test
  void blockReadsOfBf16NeedOnlyBlockSizedBuffers() throws Exception {
    long saved = Safetensors.chunkBytes;
    Safetensors.chunkBytes = 64 * 1024;
    try (NDManager m = manager.newSubManager()) {
      int rows = 512;
      int cols = 1024; // 2 MiB in fp32: 32 blocks of 16 rows
      float[] values = new float[rows * cols];
      for (int i = 0; i < values.length; i++) {
        values[i] = (i % 64) * 0.25f - 8; // exact in bf16
      }
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      tensors.put("big", m.create(values, new ai.djl.ndarray.types.Shape(rows, cols)));
      Path file = tmp.resolve("big-bf16.safetensors");
      Safetensors.write(file, tensors, DataType.BFLOAT16);
      long mappedBefore = bufferPoolBytes("mapped");
      long directBefore = bufferPoolBytes("direct");
      try (Safetensors.Reader rd = Safetensors.Reader.open(file)) {
        NDArray back = rd.read("big", m);
        assertEquals(new ai.djl.ndarray.types.Shape(rows, cols), back.getShape());
        assertArrayEquals(values, back.toFloatArray());
      }
      assertEquals(mappedBefore, bufferPoolBytes("mapped"), "mapped buffers after reading");
      long direct = bufferPoolBytes("direct") - directBefore;
      assertTrue(direct <= Safetensors.chunkBytes * 3 / 2, "direct buffers grew by " + direct + " bytes");
    } finally {
      Safetensors.chunkBytes = saved;
    }
  }

  private static long bufferPoolBytes(String name) {
    for (java.lang.management.BufferPoolMXBean p
        : java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
      if (p.getName().equals(name)) {
        return p.getMemoryUsed();
      }
    }
    throw new IllegalStateException("no buffer pool " + name);
  }

  static long headerLength(Path file) throws Exception {
    byte[] b = Files.readAllBytes(file);
    return java.nio.ByteBuffer.wrap(b, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
  }

  @Test
  void missingTensorAndShapeMismatchNameTheTensor() throws Exception {
    ModelConfig c = TestModels.qwen(40);
    Path dir = tmp.resolve("broken");
    try (NDManager m = manager.newSubManager()) {
      Transformer t = Transformer.create(c, 1, m);
      Map<String, NDArray> w = new LinkedHashMap<>(t.weights());
      w.remove("model.layers.1.mlp.up_proj.weight");
      Files.createDirectories(dir);
      c.write(dir.resolve("config.json"));
      Safetensors.write(dir.resolve("model.safetensors"), w, DataType.FLOAT32);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Checkpoint.load(dir, m));
      assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight"), e.getMessage());

      w = new LinkedHashMap<>(t.weights());
      w.put("model.norm.weight", m.ones(new ai.djl.ndarray.types.Shape(31)));
      Safetensors.write(dir.resolve("model.safetensors"), w, DataType.FLOAT32);
      e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir, m));
      assertTrue(e.getMessage().contains("model.norm.weight"), e.getMessage());

      // Untied config over a file without lm_head.
      ModelConfig untied = new ModelConfig("qwen2", 40, 32, 64, 2, 4, 2, 8, 128, 1e-6, 10000.0,
          null, false, false, false, null, List.of(), null);
      untied.write(dir.resolve("config.json"));
      Safetensors.write(dir.resolve("model.safetensors"), t.weights(), DataType.FLOAT32);
      e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir, m));
      assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
    }
  }

  @Test
  void saveReplacesExistingFolderAndKeepsTokenizer() throws Exception {
    ModelConfig c = TestModels.qwen(CharTokenizerTest.defaultVocab());
    Path tokFile = tmp.resolve("tok/tokenizer.json");
    CharTokenizer.write(tokFile);
    Path dir = tmp.resolve("model");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("stale.txt"), "old");
    try (NDManager m = manager.newSubManager(); Tokenizer tok = Tokenizer.load(tokFile)) {
      Transformer t = Transformer.create(c, 2, m);
      Checkpoint.save(t, c, dir, DataType.BFLOAT16, tok);
      assertFalse(Files.exists(dir.resolve("stale.txt")));
      JsonObject cfg = JsonParser.parseString(Files.readString(dir.resolve("config.json")))
          .getAsJsonObject();
      assertEquals("bfloat16", cfg.get("torch_dtype").getAsString());
      assertTrue(Files.isRegularFile(dir.resolve("tokenizer_config.json")));
      try (LoadedModel lm = Checkpoint.load(dir, m)) {
        assertEquals(tok.vocabSize(), lm.tokenizer().vocabSize());
        assertEquals("a<think>b", lm.tokenizer().decode(lm.tokenizer().encode("a<think>b")));
      }
    }
  }

  @Test
  void loadRejectsMissingFolderPieces() throws Exception {
    Path dir = tmp.resolve("empty");
    Files.createDirectories(dir);
    try (NDManager m = manager.newSubManager()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Checkpoint.load(dir, m));
      assertTrue(e.getMessage().contains("config.json"), e.getMessage());
      TestModels.qwen(40).write(dir.resolve("config.json"));
      e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir, m));
      assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }
  }
}
