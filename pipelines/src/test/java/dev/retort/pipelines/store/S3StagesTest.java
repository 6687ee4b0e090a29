package dev.retort.pipelines.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import dev.retort.core.store.Stores;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every stage with the run folder on an S3-compatible store through s3a:// (S3Proxy on loopback,
 * its filesystem backend in a temporary folder), through {@link StoreStages}: a store without
 * atomic rename, where files are written once under their final names and _SUCCESS commits.
 */
class S3StagesTest {
  @TempDir static Path tmp;
  private static S3Fixture s3;
  private static SparkSession spark;
  private static Configuration before;

  @BeforeAll
  static void start() throws Exception {
    System.setProperty("retort.cache-dir", tmp.resolve("cache").toString());
    s3 = new S3Fixture(tmp.resolve("s3"), "retort");
    spark = dev.retort.core.SharedSpark.get();
    Configuration conf = new Configuration();
    for (Configuration c : new Configuration[] {conf, spark.sparkContext().hadoopConfiguration()}) {
      s3.hadoopSettings().forEach(c::set);
    }
    before = Stores.conf();
    Stores.configure(conf);
  }

  @AfterAll
  static void stop() throws Exception {
    Stores.configure(before);
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void everyStageOnS3() throws Exception {
    String work = "s3a://retort/runs";
    Location root = Location.of(work);
    assertFalse(Store.of(root).atomicRename(), "an object store: write once, commit by manifest");
    StoreStages.generateAndFilter(spark, work, tmp.resolve("local"));
    StoreStages.trainAndEval(work);
    assertTrue(Store.of(root).isFile(root.resolve("h/traces/_SUCCESS")));
  }
}
