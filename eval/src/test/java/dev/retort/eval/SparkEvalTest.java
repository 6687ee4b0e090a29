package dev.retort.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.EvalSample;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark path (local[2]) against the plain path on the same tiny checkpoint. */
class SparkEvalTest {
  @TempDir Path tmp;

  private RetortConfig config(Path ckpt, String runId, boolean spark) {
    return RetortConfig.fromString("""
        run { work-dir = "%s", run-id = "%s", seed = 5 }
        arith { test-size = 4 }
        eval {
          models = [ { name = student, checkpoint = "%s", role = distilled } ]
          benchmarks = [ { name = arith, template = plain, k = 2, max-tokens = 5, limit = 3 } ]
          batch-size = 2
          chunk-size = 2
          device = cpu
          spark = %s
          spark-master = "local[2]"
        }
        """.formatted(tmp.resolve("work"), runId, ckpt, spark), "spark-test.conf");
  }

  private static Map<String, String> responses(Path dir) {
    Map<String, String> m = new TreeMap<>();
    for (EvalSample s : ParquetIO.read(dir, Codecs.EVAL_SAMPLE)) {
      m.put(s.problemId() + "#" + s.sampleIndex(), s.response() + "|" + s.correct() + "|" + s.completionTokens());
    }
    return m;
  }

  @Test
  void sparkTasksProduceTheSamplesOfThePlainRunAndLoadTheModelOncePerJvm() throws Exception {
    Path ckpt = TinyModels.checkpoint(tmp.resolve("ckpt"), 9);
    int before = ModelRef.OPENED.get();
    EvalJob.Result spark = EvalJob.run(config(ckpt, "spark", true));
    assertTrue(spark.ok(), spark.failures().toString());
    assertEquals(1, ModelRef.OPENED.get() - before, "3 chunks as 3 Spark tasks in one JVM: the checkpoint loads once");
    EvalJob.Result plain = EvalJob.run(config(ckpt, "plain", false));
    assertTrue(plain.ok());
    Map<String, String> a = responses(tmp.resolve("work/spark/eval/student/arith"));
    assertEquals(6, a.size());
    assertEquals(responses(tmp.resolve("work/plain/eval/student/arith")), a);
    assertEquals(plain.results().get(0).metrics(), spark.results().get(0).metrics());
    List<Path> chunks = ParquetIO.files(tmp.resolve("work/spark/eval/student/arith"));
    assertEquals(3, chunks.size());
  }
}
