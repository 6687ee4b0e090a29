package dev.retort.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import dev.retort.model.PythonRef;
import dev.retort.train.TrlHandoff;
import dev.retort.train.TrlTrainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train-student.trainer = trl} as the student stage. On a machine without GPUs the tiny
 * pipeline runs up to the student stage, which writes the TRL launch files into the student's
 * folder (reading the run's filtered SFT view) and stops the run with one line naming them and the
 * command to run. With {@code devices = cpu} TRL itself (bin/python-env's Python) trains the
 * student in that stage, and eval reports it beside the others.
 */
class TrlStudentStageTest {
  static final Path SFT_VIEW_IN_TRL = Path.of("src/test/python/sft_view_in_trl.py").toAbsolutePath();

  @TempDir Path dir;

  @Test
  void studentStageWritesTheLaunchFilesAndStopsWithoutGpus() throws Exception {
    assumeFalse(TrlTrainer.gpusVisible(Map.of()), "this machine has GPUs: the stage would train");
    List<String> a = new ArrayList<>(List.of("run", Path.of("..", "conf", "local.conf").toString(),
        "--set", "run.work-dir=" + dir.resolve("work"),
        "--set", "run.run-id=trl",
        "--set", "pipeline.teacher-cache=" + dir.resolve("cache")));
    a.addAll(TinyPipeline.settings());
    // conf/local.conf's train-base inherits train-student: keep the base in process here.
    a.addAll(List.of("--set", "train-student.trainer=trl", "--set", "train-base.trainer=djl", "--until", "student"));
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = RetortCli.execute(a.toArray(String[]::new));
    } finally {
      System.setErr(old);
    }
    String stderr = err.toString(StandardCharsets.UTF_8);
    System.err.print(stderr);
    assertEquals(1, code, stderr);
    Path run = dir.resolve("work").resolve("trl");
    Path handoff = run.resolve("models").resolve("student").resolve(TrlTrainer.HANDOFF);
    String line = stderr.lines().filter(l -> l.contains("trainer = trl needs GPUs")).findFirst().orElse("");
    assertTrue(line.contains("bash " + handoff.resolve(TrlHandoff.LAUNCH).toAbsolutePath()), stderr);
    for (String f : List.of(TrlHandoff.LAUNCH, TrlHandoff.SCRIPT, TrlHandoff.SETTINGS, TrlHandoff.ACCELERATE)) {
      assertTrue(Files.isRegularFile(handoff.resolve(f)), f);
    }
    JsonNode s = Json.read(handoff.resolve(TrlHandoff.SETTINGS));
    assertTrue(s.get("data").asText().endsWith("sft"), "the run's filtered SFT view: " + s.get("data"));
    assertFalse(Files.exists(run.resolve(".pipeline").resolve("student.json")), "the student stage is not marked done");
  }

  @Test
  void onTheCpuTrlTrainsTheStudentAndEvalReportsIt() throws Exception {
    String python = PythonRef.ecosystem();
    List<String> a = new ArrayList<>(List.of("run", Path.of("..", "conf", "local.conf").toString(),
        "--set", "run.work-dir=" + dir.resolve("work"),
        "--set", "run.run-id=trl-cpu",
        "--set", "pipeline.teacher-cache=" + dir.resolve("cache")));
    a.addAll(TinyPipeline.settings());
    a.addAll(List.of("--set", "train-student.trainer=trl", "--set", "train-student.devices=cpu", "--set", "train-student.log-every=1",
        "--set", "train-base.trainer=djl", "--set", "filter.sft-format=messages"));
    String out = TinyPipeline.run(a.toArray(String[]::new));
    assertTrue(out.contains("RESULT e2e"), out);
    Path run = dir.resolve("work").resolve("trl-cpu");
    for (String model : List.of("student", "student-unfiltered")) {
      Path m = run.resolve("models").resolve(model);
      JsonNode stats = Json.read(m.resolve("stats.json"));
      assertEquals("trl", stats.get("trainer").asText(), model);
      long steps = stats.get("steps").asLong();
      assertTrue(steps > 0 && Double.isFinite(stats.get("final_loss").asDouble()), model + ": " + stats);
      // TRL's logged steps became Retort's metrics rows, one per step with log-every = 1.
      List<String> rows = Files.readAllLines(m.resolve("metrics.jsonl"));
      assertEquals(steps, rows.size(), model + " metrics.jsonl");
      assertTrue(Json.MAPPER.readTree(rows.get(0)).has("loss"));
      assertFalse(Files.exists(m.resolve("training_args.bin")), "the pickled TrainingArguments stay in the handoff folder");
      assertTrue(Files.isRegularFile(m.resolve("_SUCCESS")) && Files.isRegularFile(m.resolve("provenance.json")));
    }
    // Eval read the TRL student like any other: its accuracy is in the report's results.
    JsonNode results = Json.read(run.resolve("report").resolve("results.json"));
    boolean evaluated = false;
    for (JsonNode r : results) {
      evaluated |= r.get("model").asText().equals("student") && r.get("complete").asBoolean() && r.get("samples").asInt() > 0;
    }
    assertTrue(evaluated, results.toString());
    // docs/real-models.md's TRL snippet on the run's SFT view: datasets loads the Parquet, TRL
    // trains on its messages column in both conversational forms.
    JsonNode trl = Json.MAPPER.readTree(PythonRef.run(List.of(python, SFT_VIEW_IN_TRL.toString(),
        run.resolve("filtered").resolve("sft").toString(), run.resolve("models").resolve("base").toString(),
        dir.resolve("trl-snippet").toString()), ""));
    for (String form : List.of("messages", "prompt-completion")) {
      JsonNode f = trl.get(form);
      assertTrue(f.get("conversational").asBoolean() && f.get("rows").asInt() > 0, form + ": " + f);
      assertEquals(2, f.get("steps").asInt(), form + ": " + f);
      assertTrue(Double.isFinite(f.get("loss").asDouble()) && f.get("loss").asDouble() > 0, form + ": " + f);
    }
    // A rerun finds every stage complete: TRL is not launched again.
    Path log = run.resolve("models").resolve("student").resolve(TrlTrainer.HANDOFF).resolve(TrlTrainer.LOG_FILE);
    long before = Files.size(log);
    TinyPipeline.run(a.toArray(String[]::new));
    assertEquals(before, Files.size(log), "the rerun did not train again");
  }
}
