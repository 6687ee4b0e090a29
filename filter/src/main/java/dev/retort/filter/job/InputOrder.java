package dev.retort.filter.job;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;
import org.apache.spark.Partition;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.PartitionCoalescer;
import org.apache.spark.rdd.PartitionGroup;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.execution.datasources.FilePartition;
import org.apache.spark.sql.execution.datasources.PartitionedFile;
import scala.Option;

/**
 * Merges the partitions of a file scan into fewer in the order of their files' paths. Spark lays a
 * scan's files out largest first, so with the default coalesce the order in which a task meets its
 * files, and with it the row order of every output shard, followed the input files' sizes: two
 * generate runs with the same traces but other latencies (other sizes) gave the filter's SFT view
 * another row order, hence another data identity and another student. In path order the output
 * depends on the input's rows only. Each group takes a run of consecutive files, balanced by count.
 */
final class InputOrder implements PartitionCoalescer, Serializable {
  private static final long serialVersionUID = 1L;

  private InputOrder() {}

  /** {@code scan} merged into at most {@code partitions}, its files in path order. */
  static <T> JavaRDD<T> coalesce(JavaRDD<T> scan, int partitions) {
    RDD<T> merged = scan.rdd().coalesce(partitions, false, Option.apply(new InputOrder()), null);
    return merged.toJavaRDD();
  }

  @Override
  public PartitionGroup[] coalesce(int maxPartitions, RDD<?> parent) {
    Partition[] ps = parent.partitions();
    Integer[] order = new Integer[ps.length];
    for (int i = 0; i < ps.length; i++) {
      order[i] = i;
    }
    // Stable: partitions that are not file partitions keep their index order.
    Arrays.sort(order, Comparator.comparing((Integer i) -> key(ps[i])));
    int groups = Math.max(1, Math.min(maxPartitions, ps.length));
    PartitionGroup[] out = new PartitionGroup[groups];
    int from = 0;
    for (int g = 0; g < groups; g++) {
      int to = (int) ((long) (g + 1) * order.length / groups);
      // A group prefers where its first file is (HDFS block locality), as Spark's own coalescer would.
      scala.collection.immutable.Seq<String> locs = from < to ? parent.preferredLocations(ps[order[from]]) : null;
      out[g] = new PartitionGroup(locs == null || locs.isEmpty() ? Option.empty() : Option.apply(locs.head()));
      for (int i = from; i < to; i++) {
        out[g].partitions().addOne(ps[order[i]]);
      }
      from = to;
    }
    return out;
  }

  /** A file partition's first file and offset; "" for any other partition (kept in index order). */
  static String key(Partition p) {
    if (p instanceof FilePartition f && f.files().length > 0) {
      PartitionedFile first = f.files()[0];
      return first.filePath().toString() + "#" + String.format("%020d", first.start());
    }
    return "";
  }
}
