package dev.retort.filter.job;

import dev.retort.core.io.Contract;
import dev.retort.core.io.Contracts;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The trace contract ({@link Contracts#TRACE}) as Spark reads it. The job reads with this explicit
 * schema (all columns nullable) rather than the files' own. Each file's footer is checked first
 * against the contract's Parquet schema: a file without one of the {@link #REQUIRED} columns (every
 * row of it would be rejected) or with a column of a conflicting physical type (Spark would fail
 * the whole job on it) is a bad file, an error unless tolerated. Optional columns may be absent;
 * their rows read nulls.
 */
final class TraceSchema {
  private TraceSchema() {}

  /** The Spark read schema: the contract's columns in order (so positions equal the contract's), all nullable. */
  static final StructType SPARK = build();

  private static StructType build() {
    StructType t = new StructType();
    for (Contract.Column c : Contracts.TRACE.columns()) {
      t = t.add(c.name(), sparkType(c), true);
    }
    return t;
  }

  private static DataType sparkType(Contract.Column c) {
    return switch (c.type()) {
      case STRING -> DataTypes.StringType;
      case INT -> DataTypes.IntegerType;
      case LONG -> DataTypes.LongType;
      case DOUBLE -> DataTypes.DoubleType;
      case BOOLEAN -> DataTypes.BooleanType;
      default -> throw new IllegalArgumentException("trace column " + c.name() + " is a " + c.docType() + ", not a scalar");
    };
  }

  /** Nullable columns that the verifier and the filters read: a file without them has nothing to judge. */
  private static final List<String> JUDGED = List.of("problem", "reference_answer", "reasoning", "answer");

  /**
   * Columns without which no row of a file can be judged: the contract's non-null ones (which
   * {@code TraceDecoder} requires) and the {@link #JUDGED} texts, in contract order.
   */
  static final List<String> REQUIRED = Contracts.TRACE.columns().stream()
      .filter(c -> !c.nullable() || JUDGED.contains(c.name())).map(Contract.Column::name).toList();

  static {
    JUDGED.forEach(Contracts.TRACE::index); // a misspelt name fails here instead of never being checked
  }

  /** The contract's Parquet type of a column, for messages ("int32", "double", "string"). */
  static String expected(String column) {
    PrimitiveType p = contractType(column);
    return p.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY ? "string"
        : p.getPrimitiveTypeName().name().toLowerCase(Locale.ROOT);
  }

  private static PrimitiveType contractType(String column) {
    return Contracts.TRACE.parquetSchema().getType(column).asPrimitiveType();
  }

  /** {@link #REQUIRED} columns this file lacks. */
  static List<String> missing(MessageType fileSchema) {
    return REQUIRED.stream().filter(c -> !fileSchema.containsField(c)).toList();
  }

  /** Contract columns whose physical type in this file differs from the contract (absent columns are fine). */
  static List<String> conflicts(MessageType fileSchema) {
    List<String> out = new ArrayList<>();
    for (String c : Contracts.TRACE.names()) {
      if (!fileSchema.containsField(c)) {
        continue;
      }
      Type t = fileSchema.getType(c);
      if (!t.isPrimitive() || t.asPrimitiveType().getPrimitiveTypeName() != contractType(c).getPrimitiveTypeName()
          || t.isRepetition(Type.Repetition.REPEATED)) {
        out.add(c);
      }
    }
    return out;
  }
}
