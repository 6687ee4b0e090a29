package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.run.StageOutput;
import dev.retort.model.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end runs of the real trainer on tiny arith data and a ~20k-parameter model. */
class SftTrainerTest {
  @TempDir static Path shared;
  static Path data;

  @TempDir Path tmp;

  @BeforeAll
  static void data() {
    data = TestData.sft(shared.resolve("sft"), 24, 3);
  }

  private static Map<String, float[]> weights(Path modelDir) {
    return Checkpoints.readTensors(modelDir.resolve(Checkpoint.WEIGHTS));
  }

  @Test
  void lossGoesDownAndTheOutputIsAHuggingFaceFolder() throws Exception {
    Path out = tmp.resolve("student");
    TrainResult r = SftTrainer.run(TestData.tiny("epochs=8", "lr=1e-2", "warmup-steps=3"), data, out);
    assertEquals(r.steps(), SftTrainer.plannedSteps(TestData.tiny("epochs=8", "lr=1e-2", "warmup-steps=3"), data));
    assertEquals(5, SftTrainer.plannedSteps(TestData.tiny("epochs=8", "max-steps=5"), data));
    List<JsonNode> rows = MetricsJsonl.read(out.resolve(MetricsJsonl.FILE));
    assertEquals(r.steps(), rows.size());
    double first = (rows.get(0).get("loss").asDouble() + rows.get(1).get("loss").asDouble()) / 2;
    assertTrue(r.finalLoss() < 0.6 * first, "loss " + first + " -> " + r.finalLoss());
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
        "generation_config.json", "provenance.json", "stats.json", "metrics.jsonl", "loss.png", "lr.png", "_SUCCESS")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    for (String k : List.of("step", "epoch", "loss", "lr", "grad_norm", "tokens", "tokens_per_s", "elapsed_s")) {
      assertTrue(rows.get(0).has(k), k);
    }
    try (var files = Files.list(out)) {
      assertFalse(files.anyMatch(f -> f.getFileName().toString().startsWith(SftTrainer.TOKEN_CACHE_PREFIX)),
          "the token cache is deleted once the model is saved");
    }
    // The checkpoint loads through the model module and scores text.
    try (var nd = ai.djl.ndarray.NDManager.newBaseManager(); var lm = Checkpoint.load(out, nd)) {
      assertEquals(r.parameterCount(), lm.model().numParameters());
      assertTrue(lm.stopTokenIds().contains(lm.tokenizer().tokenId(dev.retort.model.ChatTemplate.IM_END)));
    }
    // Same settings and data: skipped, same result, nothing rewritten.
    long mtime = Files.getLastModifiedTime(out.resolve("model.safetensors")).toMillis();
    TrainResult again = SftTrainer.run(TestData.tiny("epochs=8", "lr=1e-2", "warmup-steps=3"), data, out);
    assertEquals(r, again);
    assertEquals(mtime, Files.getLastModifiedTime(out.resolve("model.safetensors")).toMillis());

    // Fine-tuning from it (init-from) starts at a lower loss than the random init did.
    Path tuned = tmp.resolve("tuned");
    SftTrainer.run(TestData.tiny("init-from=\"" + out + "\"", "max-steps=2", "lr=1e-3"), data, tuned);
    double tunedFirst = MetricsJsonl.read(tuned.resolve(MetricsJsonl.FILE)).get(0).get("loss").asDouble();
    assertTrue(tunedFirst < first * 0.7, "fine-tune starts at " + tunedFirst + ", random init at " + first);
  }

  @Test
  void initFromKeepsTheSourceDtypeConfigKeysAndGenerationConfig() throws Exception {
    // A bf16 source with a config key Retort does not read and Hub-style sampling defaults.
    Path src = tmp.resolve("src");
    SftTrainer.run(TestData.tiny("max-steps=1", "save-dtype=bfloat16"), data, src);
    com.google.gson.JsonObject cfg = com.google.gson.JsonParser.parseString(
        Files.readString(src.resolve("config.json"))).getAsJsonObject();
    cfg.addProperty("quirk", "kept");
    Files.writeString(src.resolve("config.json"), cfg.toString());
    com.google.gson.JsonObject gen = com.google.gson.JsonParser.parseString(
        Files.readString(src.resolve("generation_config.json"))).getAsJsonObject();
    gen.addProperty("temperature", 0.6);
    gen.addProperty("top_p", 0.95);
    gen.addProperty("do_sample", true);
    Files.writeString(src.resolve("generation_config.json"), gen.toString());

    Path tuned = tmp.resolve("tuned");
    SftTrainer.run(TestData.tiny("init-from=\"" + src + "\"", "max-steps=1"), data, tuned);
    try (dev.retort.model.Safetensors.Reader r = dev.retort.model.Safetensors.Reader.open(
        tuned.resolve(Checkpoint.WEIGHTS))) {
      r.tensors().values().forEach(t -> assertEquals("BF16", t.dtype(), t.name()));
    }
    com.google.gson.JsonObject outCfg = com.google.gson.JsonParser.parseString(
        Files.readString(tuned.resolve("config.json"))).getAsJsonObject();
    assertEquals(cfg, outCfg); // nothing about the architecture changed
    assertEquals(gen, com.google.gson.JsonParser.parseString(
        Files.readString(tuned.resolve("generation_config.json"))).getAsJsonObject());
    // A random init with the default save-dtype (auto) still writes float32.
    Path scratch = tmp.resolve("scratch");
    SftTrainer.run(TestData.tiny("max-steps=1"), data, scratch);
    try (dev.retort.model.Safetensors.Reader r = dev.retort.model.Safetensors.Reader.open(
        scratch.resolve(Checkpoint.WEIGHTS))) {
      r.tensors().values().forEach(t -> assertEquals("F32", t.dtype(), t.name()));
    }
  }

  /** Killed after step 7 (last checkpoint at 4) and rerun: the same weights as an uninterrupted run. */
  @Test
  void resumedRunEqualsUninterruptedRun() {
    TrainSettings s = TestData.tiny("epochs=2", "checkpoint-every=4", "early-stop.patience=50", "batching=packed");
    Path a = tmp.resolve("a");
    TrainResult full = SftTrainer.run(s, data, a);
    assertTrue(full.steps() > 8, "need more steps than the crash point, got " + full.steps());

    Path b = tmp.resolve("b");
    TrainingListener<StepMetrics> crash = new TrainingListener<>() {
      @Override
      public void onStep(StepMetrics m, TrainControl control) {
        if (m.step() == 7) {
          throw new IllegalStateException("simulated crash");
        }
      }
    };
    assertThrows(IllegalStateException.class, () -> SftTrainer.run(s, data, b, crash));
    assertFalse(StageOutput.isComplete(b, null));
    assertEquals(4, Checkpoints.readState(new Checkpoints(b.resolve(Checkpoints.DIR), 2).latest().orElseThrow()).step());
    // The same rows rewritten in another physical layout (as a pipeline that rewrites its SFT view
    // does; parquet-java's bytes also differ from JVM to JVM): still the same data, so it resumes.
    List<dev.retort.core.data.SftExample> rowsOfData = SftData.read(data);
    Path relaid = tmp.resolve("relaid");
    dev.retort.core.io.ParquetIO.write(relaid.resolve("part-00000.parquet"), dev.retort.core.io.Codecs.SFT,
        rowsOfData.subList(0, 10));
    dev.retort.core.io.ParquetIO.write(relaid.resolve("part-00001.parquet"), dev.retort.core.io.Codecs.SFT,
        rowsOfData.subList(10, rowsOfData.size()));
    assertEquals(SftData.identity(data), SftData.identity(relaid));
    assertNotEquals(SftData.identity(data), SftData.identity(relaid.resolve("part-00001.parquet")));
    long[] firstStep = {0};
    TrainingListener<StepMetrics> first = new TrainingListener<>() {
      @Override
      public void onStep(StepMetrics m, TrainControl control) {
        if (firstStep[0] == 0) {
          firstStep[0] = m.step();
        }
      }
    };
    TrainResult resumed = SftTrainer.run(s, relaid, b, first);
    assertEquals(5, firstStep[0], "resumed after the step-4 checkpoint, not started over");
    assertEquals(full.steps(), resumed.steps());
    assertEquals(full.tokens(), resumed.tokens());
    double diff = Checkpoints.maxAbsDiff(weights(a), weights(b));
    assertTrue(diff <= 1e-6, "max parameter difference " + diff);
    assertEquals(full.finalLoss(), resumed.finalLoss(), 1e-6);
    // metrics.jsonl reads as one run: steps 1..N once each.
    List<JsonNode> rows = MetricsJsonl.read(b.resolve(MetricsJsonl.FILE));
    assertEquals(full.steps(), rows.size());
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(i + 1, rows.get(i).get("step").asInt());
    }
  }

  /** Two replicas with half the rows each and summed gradients give the single-device update. */
  @Test
  void dataParallelEqualsOneDevice() {
    Path one = tmp.resolve("one");
    Path two = tmp.resolve("two");
    SftTrainer.run(TestData.tiny("max-steps=3", "batch-size=2"), data, one);
    SftTrainer.run(TestData.tiny("max-steps=3", "batch-size=2", "devices=\"cpu:2\""), data, two);
    double diff = Checkpoints.maxAbsDiff(weights(one), weights(two));
    assertTrue(diff <= 1e-5, "max parameter difference " + diff);
  }

  @Test
  void gradientAccumulationEqualsTheBigBatch() {
    Path big = tmp.resolve("big");
    Path acc = tmp.resolve("acc");
    // Packed rows are the same whatever the batch size, so 4 rows = 2 micro-batches of 2 rows.
    SftTrainer.run(TestData.tiny("max-steps=2", "batch-size=4", "batching=packed"), data, big);
    SftTrainer.run(TestData.tiny("max-steps=2", "batch-size=2", "grad-accum=2", "batching=packed"), data, acc);
    double diff = Checkpoints.maxAbsDiff(weights(big), weights(acc));
    assertTrue(diff <= 1e-5, "max parameter difference " + diff);
  }

  @Test
  void badInputFailsBeforeTraining() throws Exception {
    Path empty = SftData.write(tmp.resolve("empty"), List.of()).getParent();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SftTrainer.run(TestData.tiny(), empty, tmp.resolve("o1")));
    assertTrue(e.getMessage().contains("no rows"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> SftTrainer.run(TestData.tiny(), tmp.resolve("nothing-here"), tmp.resolve("o2")));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> SftTrainer.run(TestData.tiny("seq-len=100"), data, tmp.resolve("o3")));
    assertTrue(e.getMessage().contains("longer than seq-len 100"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("o3").resolve(Checkpoints.DIR)));

    Path noTok = Files.createDirectories(tmp.resolve("ckpt-without-tokenizer"));
    Files.writeString(noTok.resolve("config.json"), "{}");
    e = assertThrows(IllegalArgumentException.class,
        () -> SftTrainer.run(TestData.tiny("init-from=\"" + noTok + "\""), data, tmp.resolve("o4")));
    assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
  }
}
