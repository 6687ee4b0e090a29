package dev.retort.pipelines.store;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** A real HDFS for tests: one in-JVM namenode and datanode (MiniDFSCluster) storing under a folder. */
final class HdfsFixture implements AutoCloseable {
  private final MiniDFSCluster cluster;

  HdfsFixture(Path dir) throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.toString());
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
  }

  /** {@code hdfs://127.0.0.1:PORT}, without a trailing slash. */
  String uri() {
    return "hdfs://127.0.0.1:" + cluster.getNameNodePort();
  }

  FileSystem fileSystem() throws java.io.IOException {
    return cluster.getFileSystem();
  }

  @Override
  public void close() {
    cluster.shutdown();
  }
}
