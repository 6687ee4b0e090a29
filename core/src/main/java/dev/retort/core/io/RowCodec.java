package dev.retort.core.io;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Maps a Java record to one Parquet row and back. The Avro schema is the Parquet schema of the
 * contract; Spark reads the same files with {@code spark.read().parquet(dir)}.
 */
public interface RowCodec<T> {
  Schema schema();

  GenericRecord encode(T row);

  T decode(GenericRecord record);
}
