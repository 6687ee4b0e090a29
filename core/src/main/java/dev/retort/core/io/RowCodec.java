package dev.retort.core.io;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Maps a Java record to one Parquet row and back. The Avro schema is the Parquet schema of the
 * contract, derived from its columns; Spark reads the same files with {@code spark.read().parquet(dir)}.
 */
public interface RowCodec<T> {
  /** The contract whose rows this codec reads and writes. */
  Contract contract();

  /** The contract's Avro schema. */
  default Schema schema() {
    return contract().avroSchema();
  }

  GenericRecord encode(T row);

  T decode(GenericRecord record);
}
