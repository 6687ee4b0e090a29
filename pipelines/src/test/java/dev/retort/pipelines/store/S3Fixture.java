package dev.retort.pipelines.store;

import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3-compatible server for tests: S3Proxy on loopback with its filesystem backend in a
 * folder, one bucket, signed requests (v2 or v4) with a fixed test key pair.
 */
final class S3Fixture implements AutoCloseable {
  private final BlobStoreContext blobs;
  private final S3Proxy proxy;
  private final String bucket;

  S3Fixture(Path dir, String bucket) throws Exception {
    this.bucket = bucket;
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", dir.toString());
    blobs = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential").overrides(props)
        .build(BlobStoreContext.class);
    blobs.getBlobStore().createContainerInLocation(null, bucket);
    proxy = S3Proxy.builder().blobStore(blobs.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "access", "secret").build();
    proxy.start();
    while (!proxy.getState().equals("STARTED")) {
      Thread.sleep(10);
    }
  }

  /** The s3a settings (as Hadoop keys) that reach this server. */
  Map<String, String> hadoopSettings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("fs.s3a.endpoint", "http://127.0.0.1:" + proxy.getPort());
    m.put("fs.s3a.endpoint.region", "us-east-1");
    m.put("fs.s3a.path.style.access", "true");
    m.put("fs.s3a.connection.ssl.enabled", "false");
    m.put("fs.s3a.access.key", "access");
    m.put("fs.s3a.secret.key", "secret");
    m.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    m.put("fs.s3a.change.detection.mode", "none");
    return m;
  }

  /**
   * Stops the server, first closing the s3a file system Hadoop's shared cache holds for the bucket
   * (Spark's reads use that cache): a later fixture on another port must not reach the old one.
   */
  @Override
  public void close() throws java.io.IOException {
    org.apache.hadoop.conf.Configuration c = new org.apache.hadoop.conf.Configuration();
    hadoopSettings().forEach(c::set);
    org.apache.hadoop.fs.FileSystem.get(URI.create("s3a://" + bucket + "/"), c).close();
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new java.io.IOException("S3Proxy did not stop: " + e.getMessage(), e);
    } finally {
      blobs.close();
    }
  }
}
