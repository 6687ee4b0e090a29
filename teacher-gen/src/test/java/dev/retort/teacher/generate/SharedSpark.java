package dev.retort.teacher.generate;

import org.apache.spark.sql.SparkSession;

/** One local SparkSession per test JVM: the start-up cost is paid once, by whichever test comes first. */
final class SharedSpark {
  private static SparkSession session;

  private SharedSpark() {}

  static synchronized SparkSession get() {
    if (session == null) {
      session = SparkSession.builder().master("local[2]").appName("teacher-gen-tests")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.shuffle.partitions", "2")
          .getOrCreate();
      session.sparkContext().setLogLevel("WARN");
    }
    return session;
  }
}
