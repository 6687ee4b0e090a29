package dev.retort.core.run;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one Spark session policy of every job (generate, filter, eval, the embedded pipeline): what
 * spark-submit passes wins, and a job's {@code *.spark-master} and defaults apply only when Retort
 * starts Spark itself. spark-submit's {@code --master}, {@code --name} and {@code --conf} reach the
 * driver as {@code spark.*} system properties (in client and in cluster mode), which is where
 * {@code new SparkConf()} reads them from too; a key set there is never overridden.
 *
 * <p>Execution settings (master, partitions, executors) stay out of every output fingerprint, so
 * moving a stage to a cluster never redoes a finished stage. Core has no Spark dependency: a job
 * passes {@link #sessionConf} to {@code SparkSession.builder().config(map)}.
 */
public final class SparkPolicy {
  /** Defaults of every session Retort starts: no UI, long plan strings not truncated, Spark logs at WARN. */
  private static final Map<String, String> BASE = Map.of(
      "spark.ui.enabled", "false",
      // The trace schema's plan string is longer than Spark's default limit; the warning is noise.
      "spark.sql.debug.maxToStringFields", "100",
      "spark.log.level", "WARN");

  /**
   * The execution settings of every stage: where and how wide Spark runs. Output fingerprints (a
   * stage's config hash, the pipeline's stage marks) leave them out.
   */
  public static final java.util.List<String> EXECUTION_KEYS = java.util.List.of(
      "generate.spark-master", "filter.spark-master", "filter.partitions",
      "eval.spark", "eval.spark-master", "eval.spark-partitions");

  private SparkPolicy() {}

  /**
   * The settings for a session: {@code app} as its name, {@code master}, {@link #BASE} and
   * {@code defaults}, each only where spark-submit did not set that key.
   */
  public static Map<String, Object> sessionConf(String app, String master, Map<String, String> defaults) {
    Map<String, String> wanted = new LinkedHashMap<>();
    wanted.put("spark.app.name", app);
    wanted.put("spark.master", master);
    wanted.putAll(BASE);
    wanted.putAll(defaults);
    Map<String, Object> out = new LinkedHashMap<>();
    wanted.forEach((k, v) -> {
      if (System.getProperty(k) == null && v != null) {
        out.put(k, v);
      }
    });
    return out;
  }
}
