package dev.retort.core.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** spark-submit's settings (spark.* system properties in the driver) win over Retort's. */
class SparkPolicyTest {
  @Test
  void configuredMasterAndDefaultsApplyOnlyWhereSparkSubmitSetNothing() {
    Map<String, Object> own = SparkPolicy.sessionConf("retort-filter", "local[2]", Map.of("spark.sql.shuffle.partitions", "3"));
    assertEquals("local[2]", own.get("spark.master"));
    assertEquals("3", own.get("spark.sql.shuffle.partitions"));
    assertEquals("100", own.get("spark.sql.debug.maxToStringFields"));
    String[] keys = {"spark.master", "spark.sql.shuffle.partitions", "spark.app.name"};
    Map<String, String> was = new java.util.HashMap<>();
    for (String k : keys) {
      if (System.getProperty(k) != null) {
        was.put(k, System.getProperty(k));
      }
    }
    try {
      System.setProperty("spark.master", "spark://master:7077");
      System.setProperty("spark.sql.shuffle.partitions", "200");
      System.setProperty("spark.app.name", "nightly");
      Map<String, Object> submitted = SparkPolicy.sessionConf("retort-filter", "local[2]",
          Map.of("spark.sql.shuffle.partitions", "3"));
      for (String k : keys) {
        assertFalse(submitted.containsKey(k), k + " stays as spark-submit set it");
      }
      assertEquals("100", submitted.get("spark.sql.debug.maxToStringFields"), "what spark-submit left unset keeps Retort's default");
    } finally {
      for (String k : keys) {
        if (was.containsKey(k)) {
          System.setProperty(k, was.get(k));
        } else {
          System.clearProperty(k);
        }
      }
    }
  }
}
