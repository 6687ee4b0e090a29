package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import dev.retort.core.run.StageOutput;
import dev.retort.model.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trainer = trl} through SftTrainer.run: without a GPU it writes the launch files and stops
 * with one message naming them; with GPUs visible it runs launch.sh (here against a fake
 * {@code nvidia-smi} and a fake Python that records its arguments and saves a model the way TRL
 * does) and takes the saved model up as a complete, loadable output folder; with
 * {@code devices = cpu} launch.sh runs the script in one process. TRL itself trains in
 * {@code TrlStudentStageTest} and {@code TrlEcosystemParityTest}.
 */
class TrlTrainerTest {
  @TempDir Path tmp;

  @Test
  void withoutGpuItWritesTheLaunchFilesAndStops() throws Exception {
    Path data = TestData.sft(tmp.resolve("sft"), 5, 1);
    Path bin = fakeBin("none", "nvidia-smi", "echo 'No devices were found'; exit 6");
    Path out = tmp.resolve("student");
    TrainSettings s = TestData.tiny("trainer=trl", "devices=auto");
    TrlTrainer.NoGpuException e = assertThrows(TrlTrainer.NoGpuException.class,
        () -> TrlTrainer.run(s, data, out, Map.of("PATH", bin + ":/usr/bin:/bin")));
    Path handoff = out.resolve(TrlTrainer.HANDOFF);
    assertEquals(handoff, e.handoff());
    for (String f : List.of(TrlHandoff.LAUNCH, TrlHandoff.SCRIPT, TrlHandoff.SETTINGS, TrlHandoff.ACCELERATE)) {
      assertTrue(Files.isRegularFile(handoff.resolve(f)), f);
    }
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertTrue(e.getMessage().contains("bash " + handoff.resolve(TrlHandoff.LAUNCH).toAbsolutePath()), e.getMessage());
    assertFalse(Files.exists(out.resolve(StageOutput.SUCCESS)), "no output without training");
    // CUDA_VISIBLE_DEVICES = "" hides GPUs even where nvidia-smi lists them.
    Path gpu = fakeBin("one", "nvidia-smi", "echo 'GPU 0: Fake H200 (UUID: GPU-0)'");
    assertTrue(TrlTrainer.gpusVisible(Map.of("PATH", gpu + ":/usr/bin:/bin")));
    assertFalse(TrlTrainer.gpusVisible(Map.of("PATH", gpu + ":/usr/bin:/bin", "CUDA_VISIBLE_DEVICES", "")));
  }

  @Test
  void withGpusItRunsTheLaunchAndTakesTheModelUp() throws Exception {
    Path data = TestData.sft(tmp.resolve("sft"), 5, 1);
    Path calls = tmp.resolve("python-calls.txt");
    Path bin = fakeBin("gpu", "nvidia-smi", "echo 'GPU 0: Fake H200 (UUID: GPU-0)'");
    Map<String, String> env = Map.of("PATH", bin + ":/usr/bin:/bin", "RETORT_PYTHON", fakePython(data, calls).toString());
    Path out = tmp.resolve("student");
    TrainResult r = TrlTrainer.run(TestData.tiny("trainer=trl", "devices=auto"), data, out, env);
    assertEquals(2, r.steps());
    assertEquals(2.25, r.finalLoss());
    assertEquals(640, r.tokens());
    assertTrue(Files.isRegularFile(out.resolve(StageOutput.SUCCESS)));
    JsonNode stats = Json.read(out.resolve(StageOutput.STATS));
    assertEquals("trl", stats.get("trainer").asText());
    List<String> metrics = Files.readAllLines(out.resolve(MetricsJsonl.FILE));
    assertEquals(2, metrics.size(), "one metrics row per logged TRL step");
    assertEquals(2.5, Json.MAPPER.readTree(metrics.get(0)).get("loss").asDouble());
    assertEquals(1e-4, Json.MAPPER.readTree(metrics.get(1)).get("lr").asDouble());
    String args = Files.readString(calls, StandardCharsets.UTF_8).strip();
    Path handoff = out.resolve(TrlTrainer.HANDOFF).toAbsolutePath();
    assertTrue(args.startsWith("-m accelerate.commands.launch --config_file " + handoff.resolve(TrlHandoff.ACCELERATE)), args);
    assertTrue(args.contains("--num_processes 1"), args);
    assertTrue(args.endsWith(handoff.resolve(TrlHandoff.SCRIPT) + " --settings " + handoff.resolve(TrlHandoff.SETTINGS)), args);
    try (var nd = ai.djl.ndarray.NDManager.newBaseManager(); var lm = Checkpoint.load(out, nd)) {
      assertTrue(lm.model().numParameters() > 0);
    }
    // Through SftTrainer.run with the same settings: complete, so neither TRL nor DJL runs again.
    TrainResult again = SftTrainer.run(TestData.tiny("trainer=trl", "devices=auto"), data, out);
    assertEquals(r.steps(), again.steps());
    assertEquals(1, Files.readAllLines(calls).size(), "launched once");
  }

  @Test
  void namedGpusAreTheOnlyOnesTheLaunchSees() throws Exception {
    Path data = TestData.sft(tmp.resolve("sft"), 5, 1);
    Path calls = tmp.resolve("python-calls.txt");
    Path bin = fakeBin("gpus", "nvidia-smi", "for i in 0 1 2 3; do echo \"GPU $i: Fake H200 (UUID: GPU-$i)\"; done");
    Map<String, String> env = Map.of("PATH", bin + ":/usr/bin:/bin", "RETORT_PYTHON", fakePython(data, calls).toString());
    TrlTrainer.run(TestData.tiny("trainer=trl", "devices=\"gpu:1,3\""), data, tmp.resolve("student"), env);
    String args = Files.readString(calls, StandardCharsets.UTF_8).strip();
    assertTrue(args.contains("--num_processes 2") && args.contains("CUDA_VISIBLE_DEVICES=1,3"), args);
  }

  @Test
  void onTheCpuItRunsTheScriptInOneProcess() throws Exception {
    Path data = TestData.sft(tmp.resolve("sft"), 5, 1);
    Path calls = tmp.resolve("python-calls.txt");
    // No nvidia-smi on this PATH: the CPU run does not look for GPUs.
    Path bin = Files.createDirectories(tmp.resolve("bin-empty"));
    Map<String, String> env = Map.of("PATH", bin + ":/usr/bin:/bin", "RETORT_PYTHON", fakePython(data, calls).toString());
    Path out = tmp.resolve("student");
    TrainResult r = TrlTrainer.run(TestData.tiny("trainer=trl", "devices=cpu"), data, out, env);
    assertEquals(2, r.steps());
    Path handoff = out.resolve(TrlTrainer.HANDOFF).toAbsolutePath();
    String args = Files.readString(calls, StandardCharsets.UTF_8).strip();
    assertTrue(args.startsWith(handoff.resolve(TrlHandoff.SCRIPT) + " --settings " + handoff.resolve(TrlHandoff.SETTINGS) + " --cpu"), args);
    assertEquals("cpu", Json.read(handoff.resolve(TrlHandoff.SETTINGS)).get("device").asText());
    // TRL on the CPU is one process: CPU replicas are the in-process trainer's.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrlTrainer.run(TestData.tiny("trainer=trl", "devices=\"cpu:2\""), data, tmp.resolve("other"), env));
    assertTrue(e.getMessage().contains("devices = cpu"), e.getMessage());
  }

  @Test
  void aFailedLaunchIsOneLineNamingTheLog() throws Exception {
    Path data = TestData.sft(tmp.resolve("sft"), 5, 1);
    Path python = fakeBin("broken", "python", String.join("\n",
        "case \"$1\" in -c) exit 0 ;; esac",
        "echo 'Traceback (most recent call last):'",
        "echo '  File \"train_trl.py\", line 1'",
        "echo 'RuntimeError: out of memory'",
        "exit 3")).resolve("python");
    Map<String, String> env = Map.of("PATH", "/usr/bin:/bin", "RETORT_PYTHON", python.toString());
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> TrlTrainer.run(TestData.tiny("trainer=trl", "devices=cpu"), data, tmp.resolve("student"), env));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().contains("exited with 3: RuntimeError: out of memory"), e.getMessage());
    assertTrue(e.getMessage().contains(TrlTrainer.LOG_FILE), e.getMessage());
  }

  /**
   * A stand-in for the Python of the handoff (RETORT_PYTHON): answers launch.sh's import check,
   * records each launch's arguments (and the GPUs CUDA sees) in {@code calls}, and saves a model the
   * way TRL does: a real checkpoint (the in-process trainer's, two steps) and a trainer state.
   */
  private Path fakePython(Path data, Path calls) throws Exception {
    Path made = tmp.resolve("made");
    if (!Files.isDirectory(made)) {
      SftTrainer.run(TestData.tiny("max-steps=2"), data, made);
    }
    return fakeBin("python", "python", String.join("\n",
        "case \"$1\" in -c) exit 0 ;; esac",
        "echo \"$@${CUDA_VISIBLE_DEVICES:+ CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES}\" >> '" + calls + "'",
        "out=\"$(pwd)/model\"",
        "mkdir -p \"$out\"",
        "cp '" + made + "'/config.json '" + made + "'/model.safetensors '" + made + "'/tokenizer.json '"
            + made + "'/tokenizer_config.json \"$out\"/",
        "printf '%s' '{\"global_step\": 2, \"num_input_tokens_seen\": 640, \"log_history\": ["
            + "{\"loss\": 2.5, \"step\": 1, \"learning_rate\": 0.0}, {\"loss\": 2.25, \"step\": 2, \"learning_rate\": 1e-4},"
            + " {\"train_runtime\": 3.5, \"train_loss\": 2.375, \"step\": 2}]}'"
            + " > \"$out\"/trainer_state.json")).resolve("python");
  }

  /** Writes an executable {@code name} into {@code tmp/bin-<dir>} and returns that folder. */
  private Path fakeBin(String dir, String name, String body) throws Exception {
    Path bin = tmp.resolve("bin-" + dir);
    Files.createDirectories(bin);
    Path f = bin.resolve(name);
    Files.writeString(f, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }
}
