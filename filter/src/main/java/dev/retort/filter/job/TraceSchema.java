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
 * nullable) rather than the files' own. Each file's footer is checked first: a file without one of
 * the {@link #REQUIRED} columns (every row of it would be rejected) or with a column of a
 * conflicting physical type (Spark would fail the whole job on it) is a bad file, an error unless
 * tolerated. Optional columns may be absent; their rows read nulls.
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

  /**
   * Columns without which no row of a file can be judged: the ones {@link TraceDecoder} needs
   * non-null, and the answer, reference and reasoning the verifier and the filters read.
   */
  static final List<String> REQUIRED = List.of("prompt_id", "sample_index", "problem", "reference_answer", "reasoning",
      "answer", "temperature", "top_p", "top_k", "max_tokens", "prompt_tokens", "completion_tokens", "latency_ms");

  /** The contract's Parquet type of a column, for messages ("int32", "binary" = string). */
  static String expected(String column) {
    PrimitiveTypeName p = PHYSICAL.get(column);
    return p == PrimitiveTypeName.BINARY ? "string" : p.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** {@link #REQUIRED} columns this file lacks. */
  static List<String> missing(MessageType fileSchema) {
    return REQUIRED.stream().filter(c -> !fileSchema.containsField(c)).toList();
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
