package dev.retort.pipelines.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import dev.retort.core.store.Stores;
import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
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
  private static S3Proxy proxy;
  private static BlobStoreContext blobs;
  private static SparkSession spark;
  private static Configuration before;

  @BeforeAll
  static void start() throws Exception {
    System.setProperty("retort.cache-dir", tmp.resolve("cache").toString());
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", tmp.resolve("s3").toString());
    blobs = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential").overrides(props)
        .build(BlobStoreContext.class);
    blobs.getBlobStore().createContainerInLocation(null, "retort");
    proxy = S3Proxy.builder().blobStore(blobs.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "access", "secret").build();
    proxy.start();
    while (!proxy.getState().equals("STARTED")) {
      Thread.sleep(10);
    }
    spark = SparkSession.builder().master("local[2]").appName("retort-store-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    Configuration conf = new Configuration();
    String endpoint = "http://127.0.0.1:" + proxy.getPort();
    for (Configuration c : new Configuration[] {conf, spark.sparkContext().hadoopConfiguration()}) {
      c.set("fs.s3a.endpoint", endpoint);
      c.set("fs.s3a.endpoint.region", "us-east-1");
      c.set("fs.s3a.path.style.access", "true");
      c.set("fs.s3a.connection.ssl.enabled", "false");
      c.set("fs.s3a.access.key", "access");
      c.set("fs.s3a.secret.key", "secret");
      c.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
      c.set("fs.s3a.change.detection.mode", "none");
      c.setBoolean("fs.s3a.impl.disable.cache", false);
    }
    before = Stores.conf();
    Stores.configure(conf);
  }

  @AfterAll
  static void stop() throws Exception {
    Stores.configure(before);
    if (proxy != null) {
      proxy.stop();
    }
    if (blobs != null) {
      blobs.close();
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
