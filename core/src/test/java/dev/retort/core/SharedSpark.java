package dev.retort.core;

import dev.retort.core.run.SparkPolicy;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The test JVM's one local SparkSession (starting Spark costs seconds, so tests share it), made
 * under the jobs' own {@link SparkPolicy}: two cores, four shuffle partitions, no UI. For the
 * tests of every module with a Spark job, through core's test-jar.
 */
public final class SharedSpark {
  private static SparkSession spark;

  private SharedSpark() {}

  public static synchronized SparkSession get() {
    if (spark == null) {
      spark = SparkSession.builder()
          .config(SparkPolicy.sessionConf("retort-tests", "local[2]", Map.of("spark.sql.shuffle.partitions", "4")))
          .getOrCreate();
    }
    return spark;
  }
}
