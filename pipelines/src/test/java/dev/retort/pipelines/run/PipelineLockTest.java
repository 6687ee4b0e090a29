package dev.retort.pipelines.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.run.RunLock;
import dev.retort.core.store.Location;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pipeline holds its run folder's lock while it runs: a second run on the folder stops before any stage. */
class PipelineLockTest {
  @TempDir Path dir;

  /** A stage's result with nothing in it. */
  record Done() {}

  private static Stage<Done> stage(String name, List<String> ran) {
    return new Stage<>() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<String> configSections() {
        return List.of("run");
      }

      @Override
      public Class<Done> resultType() {
        return Done.class;
      }

      @Override
      public Done run(PipelineContext ctx) {
        ran.add(name);
        assertTrue(Files.exists(dir(ctx).resolve(RunLock.FILE)), "the lock is held while stages run");
        return new Done();
      }
    };
  }

  private static Path dir(PipelineContext ctx) {
    return Path.of(ctx.layout().root().uri());
  }

  @Test
  void secondRunOnAHeldFolderFailsBeforeAnyStageAndTheLockIsReleasedAfter() throws Exception {
    RetortConfig cfg = RetortConfig.defaults("run.work-dir=\"" + dir + "\"", "run.run-id=r1");
    PipelineContext ctx = new PipelineContext(cfg);
    List<String> ran = new ArrayList<>();
    Pipeline p = new Pipeline(List.of(stage("a", ran), stage("b", ran)));
    try (RunLock held = RunLock.acquire(ctx.layout().root())) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.run(new PipelineContext(cfg), null, null));
      assertTrue(e.getMessage().contains("is in use by another run: pid " + held.holder().pid()), e.getMessage());
      assertEquals(List.of(), ran);
    }
    p.run(ctx, null, null);
    assertEquals(List.of("a", "b"), ran);
    assertFalse(Files.exists(dir.resolve("r1").resolve(RunLock.FILE)), "released after the run");
  }

  @Test
  void aRerunReadsTypedResultsBackFromTheMarksAndToleratesOldFields() throws Exception {
    RetortConfig cfg = RetortConfig.defaults("run.work-dir=\"" + dir + "\"", "run.run-id=r3");
    List<String> ran = new ArrayList<>();
    Stage<StageResults.Prompts> prompts = new Stage<>() {
      @Override
      public String name() {
        return "prompts";
      }

      @Override
      public List<String> configSections() {
        return List.of("run");
      }

      @Override
      public Class<StageResults.Prompts> resultType() {
        return StageResults.Prompts.class;
      }

      @Override
      public StageResults.Prompts run(PipelineContext ctx) {
        ran.add("prompts");
        return new StageResults.Prompts(7, 3);
      }
    };
    Pipeline p = new Pipeline(List.of(prompts));
    p.run(new PipelineContext(cfg), null, null);
    Path mark = dir.resolve("r3").resolve(".pipeline").resolve("prompts.json");
    String json = Files.readString(mark);
    assertTrue(json.contains("\"bootstrap_prompts\" : 7"), json);
    // A mark written by an older version carries a field the record no longer has.
    Files.writeString(mark, json.replace("\"bootstrap_prompts\" : 7", "\"bootstrap_prompts\" : 7, \"stage_seconds\" : 1.5"));
    PipelineContext again = new PipelineContext(cfg);
    p.run(again, null, null);
    assertEquals(List.of("prompts"), ran, "the rerun skips the stage");
    assertEquals(new StageResults.Prompts(7, 3), again.result("prompts", StageResults.Prompts.class).orElseThrow());
    assertTrue(again.result("prompts", StageResults.Trained.class).isEmpty(), "a result is read only as its own type");
  }

  @Test
  void closingSummarySaysWhereOutputsAreAndWhatIsNext() {
    RetortConfig cfg = RetortConfig.defaults("run.work-dir=\"" + dir + "\"", "run.run-id=r2");
    PipelineContext ctx = new PipelineContext(cfg);
    Pipeline p = new Pipeline(List.of(stage("a", new ArrayList<>()), stage("eval", new ArrayList<>())));
    List<String> done = dev.retort.pipelines.cli.RunCommandAccess.summary(ctx, p,
        Map.of("eval", new StageResults.Evaluated(Map.of(), dir.resolve("r2/report/index.html").toString())), null);
    assertTrue(done.get(0).contains(Location.local(dir.resolve("r2")).toString()), done.toString());
    assertTrue(done.get(1).contains("report " + dir.resolve("r2/report/index.html")), done.toString());
    assertTrue(done.get(2).contains("--from STAGE"), done.toString());
    List<String> stopped = dev.retort.pipelines.cli.RunCommandAccess.summary(ctx, p, Map.of(), "a");
    assertTrue(stopped.get(stopped.size() - 1).contains("stopped after a") && stopped.get(stopped.size() - 1).contains("eval"),
        stopped.toString());
  }
}
