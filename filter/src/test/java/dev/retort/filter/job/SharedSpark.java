package dev.retort.filter.job;

import org.apache.spark.sql.SparkSession;

/** One local SparkSession per test JVM: starting Spark costs seconds, so tests share it. */
public final class SharedSpark {
  private static SparkSession spark;

  private SharedSpark() {}

  public static synchronized SparkSession get() {
    if (spark == null) {
      spark = SparkSession.builder()
          .master("local[2]")
          .appName("retort-filter-test")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.shuffle.partitions", "4")
          .getOrCreate();
    }
    return spark;
  }
}
