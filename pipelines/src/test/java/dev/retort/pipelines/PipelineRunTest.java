package dev.retort.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.StageOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real pipeline (servers as child JVMs, Spark local, DJL training, eval and report) on a tiny
 * configuration, then a rerun that must skip every stage, then --from that reruns the tail.
 */
class PipelineRunTest {
  @TempDir Path dir;

  private String[] args(String... extra) {
    List<String> a = new ArrayList<>(List.of("run", Path.of("..", "conf", "local.conf").toString(),
        "--set", "run.work-dir=" + dir.resolve("work"),
        "--set", "run.run-id=tiny",
        "--set", "pipeline.teacher-cache=" + dir.resolve("cache")));
    a.addAll(TinyPipeline.settings());
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  @Test
  void runsEveryStageThenSkipsThemOnRerun() throws Exception {
    String first = TinyPipeline.run(args());
    assertTrue(first.contains("RESULT e2e teacher_acc="), first);
    assertTrue(first.contains("rl_student_acc=") && first.contains("base_acc=") && first.contains("filter_gain="), first);
    Path run = dir.resolve("work").resolve("tiny");
    assertEquals(12, ParquetIO.read(run.resolve("traces"), Codecs.TRACE).size(), "6 prompts x 2 samples, exactly once");
    assertTrue(StageOutput.isComplete(run.resolve("filtered"), null));
    for (String m : List.of("student", "student-unfiltered", "base", "rl-student")) {
      assertTrue(Files.isRegularFile(run.resolve("models").resolve(m).resolve("config.json")), m);
      assertTrue(Files.isRegularFile(run.resolve("models").resolve(m).resolve("provenance.json")), m);
    }
    assertTrue(Files.isRegularFile(run.resolve("report").resolve("index.html")));
    String html = Files.readString(run.resolve("report").resolve("index.html"));
    for (String m : List.of("teacher", "student", "student-unfiltered", "rl-student", "base")) {
      assertTrue(html.contains(m), "report shows " + m);
    }

    long before = Files.getLastModifiedTime(run.resolve("models").resolve("student").resolve("config.json")).toMillis();
    java.util.Map<String, String> files = files(run);
    String second = TinyPipeline.run(args());
    assertTrue(second.contains("RESULT e2e"), second);
    assertEquals(files, files(run), "a rerun skips every completed stage and rewrites nothing");

    TinyPipeline.run(args("--from", "eval"));
    assertEquals(before, Files.getLastModifiedTime(run.resolve("models").resolve("student").resolve("config.json")).toMillis(),
        "--from eval leaves earlier stages alone");
  }

  @Test
  void unknownStageAndUnknownSectionAreUsageErrors() {
    assertEquals(2, RetortCli.execute(args("--from", "nope")));
    assertEquals(2, RetortCli.execute(args("--set", "pipelin.teacher-servers=2")));
    assertEquals(2, RetortCli.execute(args("--until", "nope")));
    // A late stage's mistake fails before the first stage runs.
    assertEquals(2, RetortCli.execute(args("--set", "run.run-id=grpo-student", "--set", "train-student.method=grpo")));
    assertTrue(Files.notExists(dir.resolve("work").resolve("grpo-student").resolve(".pipeline").resolve("prompts.json")));
  }

  @Test
  void untilStopsAfterTheNamedStage() throws Exception {
    String out = TinyPipeline.run(args("--set", "run.run-id=until", "--until", "prompts"));
    Path marks = dir.resolve("work").resolve("until").resolve(".pipeline");
    assertTrue(Files.isRegularFile(marks.resolve("prompts.json")));
    assertTrue(Files.notExists(marks.resolve("teacher.json")), "no stage after --until runs");
    assertTrue(out.contains("RESULT e2e"), out);
  }

  /** Every file under {@code dir} with its size and modification time. */
  private static java.util.Map<String, String> files(Path dir) throws java.io.IOException {
    java.util.Map<String, String> out = new java.util.TreeMap<>();
    try (var walk = Files.walk(dir)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(f).toString(), Files.size(f) + "@" + Files.getLastModifiedTime(f).toMillis());
      }
    }
    return out;
  }
}
