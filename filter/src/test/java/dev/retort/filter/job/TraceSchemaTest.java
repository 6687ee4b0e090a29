package dev.retort.filter.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.SharedSpark;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Contract;
import dev.retort.core.io.Contracts;
import dev.retort.core.io.ParquetIO;
import dev.retort.filter.TestTraces;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filter's view of the trace contract is derived from core's definition and agrees with the files. */
class TraceSchemaTest {
  @TempDir Path dir;

  /** Spark reading a trace file with the file's own schema sees the types of the derived read schema. */
  @Test
  void sparkReadSchemaIsTheContractsColumnsAllNullable() {
    Path f = dir.resolve("traces.parquet");
    ParquetIO.write(f, Codecs.TRACE, List.of(TestTraces.trace("p", 0, "1+1?", "2", "r", "\\boxed{2}")));
    StructType own = SharedSpark.get().read().parquet(f.toString()).schema();
    assertEquals(Contracts.TRACE.names(), List.of(TraceSchema.SPARK.fieldNames()));
    for (StructField s : TraceSchema.SPARK.fields()) {
      assertTrue(s.nullable(), s.name());
      assertEquals(own.apply(s.name()).dataType(), s.dataType(), s.name());
    }
  }

  @Test
  void requiredColumnsAreTheNonNullOnesAndTheJudgedTexts() {
    for (Contract.Column c : Contracts.TRACE.columns()) {
      assertEquals(!c.nullable() || List.of("problem", "reference_answer", "reasoning", "answer").contains(c.name()),
          TraceSchema.REQUIRED.contains(c.name()), c.name());
    }
    assertEquals(List.of(), TraceSchema.missing(Contracts.TRACE.parquetSchema()));
    assertEquals(List.of(), TraceSchema.conflicts(Contracts.TRACE.parquetSchema()));
  }

  /** Each column given another physical type in a file is a conflict, named with the contract's type. */
  @Test
  void everyColumnOfAnotherTypeIsAConflict() {
    MessageType contract = Contracts.TRACE.parquetSchema();
    for (Type col : contract.getFields()) {
      PrimitiveTypeName other = col.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.BOOLEAN
          ? PrimitiveTypeName.INT32 : PrimitiveTypeName.BOOLEAN;
      Types.MessageTypeBuilder b = Types.buildMessage();
      for (Type t : contract.getFields()) {
        b.addField(t == col ? Types.optional(other).named(t.getName()) : t);
      }
      MessageType file = b.named("trace");
      assertEquals(List.of(col.getName()), TraceSchema.conflicts(file));
      PrimitiveTypeName p = col.asPrimitiveType().getPrimitiveTypeName();
      assertEquals(p == PrimitiveTypeName.BINARY ? "string" : p.name().toLowerCase(java.util.Locale.ROOT),
          TraceSchema.expected(col.getName()));
    }
  }
}
