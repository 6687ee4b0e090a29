package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import dev.retort.model.Checkpoint;
import dev.retort.model.LoadedModel;
import dev.retort.model.PythonRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TRL run killed mid-training reruns to the same model: TRL itself (bin/python-env's Python) on
 * the CPU, its process killed once its second checkpoint is on disk, then {@link TrlTrainer#run}
 * again resumes from the newest complete checkpoint (train_trl.py: the newest checkpoint-* folder
 * holding trainer_state.json; a newer one cut short while saving is removed) and ends with the
 * weights of a run that was never killed, bit for bit.
 */
class TrlResumeTest {
  @TempDir Path tmp;

  @Test
  void aKilledRunResumesToTheSameWeights() throws Exception {
    String python = PythonRef.ecosystem();
    Path data = TestData.sft(tmp.resolve("sft"), 24, 3);
    TrainSettings s = TestData.tiny("trainer=trl", "devices=cpu", "max-steps=60", "epochs=100", "checkpoint-every=3",
        "keep-checkpoints=2", "log-every=1", "save-dtype=float32");
    Map<String, String> env = Map.of("RETORT_PYTHON", python);

    Path whole = tmp.resolve("whole");
    TrainResult once = TrlTrainer.run(s, data, whole, env);
    assertEquals(60, once.steps());

    Path killed = tmp.resolve("killed");
    Path trl = killed.resolve(TrlTrainer.HANDOFF).resolve(TrlTrainer.MODEL);
    Path second = trl.resolve("checkpoint-6");
    CompletableFuture<TrainResult> first = CompletableFuture.supplyAsync(() -> TrlTrainer.run(s, data, killed, env));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!Files.isRegularFile(second.resolve("trainer_state.json")) && !first.isDone() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertTrue(Files.isRegularFile(second.resolve("trainer_state.json")), "checkpoint-6 was written before the run ended");
    ProcessHandle.current().descendants()
        .filter(p -> p.info().commandLine().orElse("").contains(TrlHandoff.SCRIPT))
        .forEach(ProcessHandle::destroyForcibly);
    Exception e = assertThrows(Exception.class, () -> first.get(2, TimeUnit.MINUTES));
    assertTrue(String.valueOf(e.getCause()).contains("exited with"), String.valueOf(e.getCause()));
    // The newest complete checkpoint is where the rerun starts (TRL may have saved more before the kill landed).
    int newest;
    try (var dirs = Files.list(trl)) {
      newest = dirs.map(d -> d.getFileName().toString()).filter(n -> n.matches("checkpoint-\\d+"))
          .filter(n -> Files.isRegularFile(trl.resolve(n).resolve("trainer_state.json")))
          .mapToInt(n -> Integer.parseInt(n.substring("checkpoint-".length()))).max().orElseThrow();
    }
    assertTrue(newest >= 6 && newest < 60, "killed between checkpoint 6 and the end: " + newest);

    // A save the kill cut short: a newer checkpoint folder without its trainer_state.json.
    Path cut = Files.createDirectories(trl.resolve("checkpoint-" + (newest + 3)));
    Files.copy(trl.resolve("checkpoint-" + newest).resolve("config.json"), cut.resolve("config.json"));
    System.out.printf("TrlResumeTest: killed after checkpoint-%d; checkpoint-%d left incomplete%n", newest, newest + 3);

    TrainResult again = TrlTrainer.run(s, data, killed, env);
    assertEquals(60, again.steps());
    String log = Files.readString(killed.resolve(TrlTrainer.HANDOFF).resolve(TrlTrainer.LOG_FILE));
    JsonNode state = Json.read(killed.resolve("trainer_state.json"));
    assertEquals(60, state.get("global_step").asInt());
    // Resumed, not restarted: the steps before the checkpoint were not trained twice.
    assertTrue(log.contains("train_trl.py: resuming from " + trl.resolve("checkpoint-" + newest).toAbsolutePath()),
        "the rerun resumed from checkpoint-" + newest + ":\n" + log);

    try (var nd = ai.djl.ndarray.NDManager.newBaseManager();
        LoadedModel a = Checkpoint.load(whole, nd);
        LoadedModel b = Checkpoint.load(killed, nd)) {
      Map<String, float[]> wa = Checkpoint.parameterValues(a.model());
      Map<String, float[]> wb = Checkpoint.parameterValues(b.model());
      assertEquals(wa.keySet(), wb.keySet());
      double max = 0;
      for (String k : wa.keySet()) {
        float[] x = wa.get(k);
        float[] y = wb.get(k);
        for (int i = 0; i < x.length; i++) {
          max = Math.max(max, Math.abs(x[i] - y[i]));
        }
      }
      System.out.printf("TrlResumeTest: max |weight difference| killed-and-resumed vs whole run: %.3g%n", max);
      assertEquals(0.0, max, "the resumed run ends with the uninterrupted run's weights");
    }
  }
}
