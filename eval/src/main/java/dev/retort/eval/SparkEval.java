package dev.retort.eval;

import dev.retort.core.run.SparkPolicy;
import dev.retort.core.store.Stores;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Spark path of {@link EvalJob}: a thin adapter that ships chunks of (problem, sample) work
 * to executors, where {@link EvalRunner#runChunk} (the code the local path runs) generates and
 * writes each chunk. An executor opens the model once per JVM ({@link ModelRef#shared()}) and
 * reuses it for every task. Chunk files are named by their contents, so a retried task rewrites
 * the same file. The output folder must be on storage that executors and driver share.
 */
final class SparkEval {
  private static final Logger LOG = LoggerFactory.getLogger(SparkEval.class);

  private SparkEval() {}

  /** One Spark task: a chunk of one benchmark for one model. */
  record Task(ModelRef model, EvalRunner.Target target, List<WorkItem> items) implements Serializable {}

  /** An existing session if any; else one on {@code eval.spark-master}, under {@link SparkPolicy}. */
  static SparkSession session(EvalSettings s) {
    SparkSession spark = SparkSession.builder().config(SparkPolicy.sessionConf("retort-eval", s.sparkMaster(), Map.of()))
        .getOrCreate();
    Stores.shareWith(spark.sparkContext().hadoopConfiguration());
    return spark;
  }

  /** Runs every pending chunk of the given runners of one model; returns the number of failed samples. */
  static int run(SparkSession spark, ModelRef model, List<EvalRunner> runners, int chunkSize, int partitions) {
    List<Task> tasks = new ArrayList<>();
    for (EvalRunner r : runners) {
      for (List<WorkItem> chunk : EvalRunner.chunks(r.prepare(), chunkSize)) {
        tasks.add(new Task(model, r.target(), chunk));
      }
    }
    if (tasks.isEmpty()) {
      return 0;
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slices = partitions > 0 ? Math.min(partitions, tasks.size()) : tasks.size();
    LOG.info("eval {}: {} chunks on Spark in {} partitions", model.name(), tasks.size(), slices);
    try {
      List<EvalRunner.ChunkResult> results = jsc.parallelize(tasks, slices).map(SparkEval::runTask).collect();
      int failed = results.stream().mapToInt(EvalRunner.ChunkResult::failed).sum();
      results.stream().map(EvalRunner.ChunkResult::firstError).filter(e -> e != null).findFirst()
          .ifPresent(e -> LOG.warn("eval {}: {} samples failed and were not saved (rerun to retry); first: {}", model.name(), failed, e));
      return failed;
    } finally {
      // Local mode: this JVM was the executor; free the model before the next one loads.
      model.closeShared();
    }
  }

  private static EvalRunner.ChunkResult runTask(Task t) {
    return EvalRunner.runChunk(t.target(), t.items(), t.model().shared());
  }
}
