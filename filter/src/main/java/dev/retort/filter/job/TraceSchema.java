package dev.retort.filter.job;

import dev.retort.filter.TraceDecoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The trace contract as Spark reads it. The job reads with this explicit schema (all columns
 * nullable) rather than the files' own, so a file that lacks a column still reads (its rows get
 * nulls and are rejected as malformed), and a column with a conflicting physical type is caught
 * per file from the footer before Spark would fail the whole job on it.
 */
final class TraceSchema {
  private TraceSchema() {}

  private static final Map<String, PrimitiveTypeName> PHYSICAL = new LinkedHashMap<>();
  private static final Map<String, DataType> LOGICAL = new LinkedHashMap<>();

  static {
    for (String c : TraceDecoder.COLUMNS) {
      PrimitiveTypeName p = switch (c) {
        case "sample_index", "top_k", "max_tokens", "prompt_tokens", "completion_tokens" -> PrimitiveTypeName.INT32;
        case "seed", "latency_ms" -> PrimitiveTypeName.INT64;
        case "temperature", "top_p" -> PrimitiveTypeName.DOUBLE;
        default -> PrimitiveTypeName.BINARY;
      };
      PHYSICAL.put(c, p);
      LOGICAL.put(c, switch (p) {
        case INT32 -> DataTypes.IntegerType;
        case INT64 -> DataTypes.LongType;
        case DOUBLE -> DataTypes.DoubleType;
        default -> DataTypes.StringType;
      });
    }
  }

  static final StructType SPARK = build();

  private static StructType build() {
    StructType t = new StructType();
    for (var e : LOGICAL.entrySet()) {
      t = t.add(e.getKey(), e.getValue(), true);
    }
    return t;
  }

  /** Contract columns whose type in this file differs from the contract (absent columns are fine). */
  static List<String> conflicts(MessageType fileSchema) {
    List<String> out = new ArrayList<>();
    for (var e : PHYSICAL.entrySet()) {
      if (!fileSchema.containsField(e.getKey())) {
        continue;
      }
      Type t = fileSchema.getType(e.getKey());
      if (!t.isPrimitive() || t.asPrimitiveType().getPrimitiveTypeName() != e.getValue()
          || t.isRepetition(Type.Repetition.REPEATED)) {
        out.add(e.getKey());
      }
    }
    return out;
  }
}
