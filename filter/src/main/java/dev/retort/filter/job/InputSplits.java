package dev.retort.filter.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.spark.Partition;
import org.apache.spark.sql.execution.datasources.FilePartition;
import org.apache.spark.sql.execution.datasources.PartitionedFile;

/**
 * How Spark planned to read the input: how many partitions will read rows, and whether a file's
 * rows are cut between partitions. Spark reads a file larger than its split size in byte ranges,
 * and each row group goes to the range holding its midpoint: a range without a midpoint reads
 * nothing (a large file of one row group keeps one task busy however it is cut), and when one
 * file's row groups land in two partitions, a prompt can straddle the cut. In both cases the job
 * shuffles rather than judge the partitions as they are.
 *
 * @param partitions the scan's partitions that read rows
 * @param anyFileCut some file's row groups are read by more than one partition
 */
record InputSplits(int partitions, boolean anyFileCut) {
  /** @param parts the partitions of a plain Parquet read's row RDD */
  static InputSplits of(Partition[] parts) {
    // file -> its ranges, each with the partition that reads it
    Map<String, List<long[]>> ranges = new LinkedHashMap<>();
    for (Partition p : parts) {
      // The scan's row RDD maps the file scan's partitions one to one, so these are its FilePartitions.
      if (p instanceof FilePartition fp) {
        for (PartitionedFile f : fp.files()) {
          ranges.computeIfAbsent(f.urlEncodedPath(), k -> new ArrayList<>()).add(new long[] {f.start(), f.start() + f.length(), fp.index()});
        }
      }
    }
    Set<Long> reading = new HashSet<>();
    boolean cut = false;
    for (var e : ranges.entrySet()) {
      if (e.getValue().size() == 1) {
        reading.add(e.getValue().get(0)[2]);
      } else {
        Set<Long> these = readers(e.getKey(), e.getValue());
        cut |= these.size() > 1;
        reading.addAll(these);
      }
    }
    return new InputSplits(reading.size(), cut);
  }

  /** The partitions that read the row groups of a file read in several ranges. */
  private static Set<Long> readers(String urlEncodedPath, List<long[]> ranges) {
    dev.retort.core.store.Location file = dev.retort.core.store.Location.of(java.net.URI.create(urlEncodedPath).toString());
    Set<Long> reading = new HashSet<>();
    try (ParquetFileReader r = ParquetFileReader.open(dev.retort.core.io.ParquetIO.inputFile(file))) {
      for (BlockMetaData b : r.getFooter().getBlocks()) {
        long mid = b.getStartingPos() + b.getCompressedSize() / 2;
        for (long[] range : ranges) {
          if (mid >= range[0] && mid < range[1]) {
            reading.add(range[2]);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the footer of " + file + ": " + e.getMessage(), e);
    }
    return reading;
  }
}
