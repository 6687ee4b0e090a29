package dev.retort.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.io.Contract.Column;
import dev.retort.core.io.Contract.Type;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schemas derived from {@link Contracts} are those of the files Retort writes: the fixtures in
 * {@code src/test/resources/contracts/} hold each contract's Avro schema (as the footer carries it)
 * and Parquet schema as the hand-written codec schemas produced them, so a change of a column's
 * name, type, nullability or order fails here.
 */
class ContractsTest {
  @TempDir Path dir;

  /** Each contract's codec, by contract. */
  private static final Map<Contract, RowCodec<?>> CODECS = Map.of(Contracts.PROMPT, Codecs.PROMPT, Contracts.TRACE,
      Codecs.TRACE, Contracts.VERDICT, Codecs.VERDICT, Contracts.SFT, Codecs.SFT, Contracts.EVAL_SAMPLE, Codecs.EVAL_SAMPLE);

  private static String fixture(String name) throws IOException {
    try (InputStream in = ContractsTest.class.getResourceAsStream("/contracts/" + name)) {
      assertTrue(in != null, "fixture " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
  }

  private static FileMetaData footer(Path f) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(f))) {
      return r.getFooter().getFileMetaData();
    }
  }

  @Test
  void derivedSchemasEqualTheWrittenFilesSchemas() throws IOException {
    assertEquals(CODECS.keySet(), java.util.Set.copyOf(Contracts.ALL));
    for (Contract c : Contracts.ALL) {
      assertEquals(fixture(c.name() + ".avsc"), c.avroSchema().toString(), c.name());
      assertEquals(MessageTypeParser.parseMessageType(fixture(c.name() + ".parquet.txt")), c.parquetSchema(), c.name());
    }
  }

  /** A file written through the codec carries the contract's schemas in its footer. */
  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void filesWrittenByTheCodecsCarryTheFixtureSchemas() throws IOException {
    for (Contract c : Contracts.ALL) {
      RowCodec codec = CODECS.get(c);
      assertEquals(c, codec.contract());
      Path f = dir.resolve(c.name() + ".parquet");
      ParquetIO.write(f, codec, List.of());
      FileMetaData m = footer(f);
      assertEquals(MessageTypeParser.parseMessageType(fixture(c.name() + ".parquet.txt")), m.getSchema(), c.name());
      assertEquals(fixture(c.name() + ".avsc"), m.getKeyValueMetaData().get("parquet.avro.schema"), c.name());
    }
  }

  @Test
  void verdictIsTheTraceFollowedByItsOwnColumns() {
    assertEquals(Contracts.TRACE.columns(), Contracts.VERDICT.columns().subList(0, Contracts.TRACE.size()));
    assertEquals(List.of("correct", "extracted", "reasons", "accepted"),
        Contracts.VERDICT.names().subList(Contracts.TRACE.size(), Contracts.VERDICT.size()));
  }

  @Test
  void positionsAndLookupsFollowTheColumnOrder() {
    Contract t = Contracts.TRACE;
    for (int i = 0; i < t.size(); i++) {
      assertEquals(i, t.index(t.names().get(i)));
      assertEquals(t.columns().get(i), t.column(t.names().get(i)));
      assertEquals(i, t.parquetSchema().getFieldIndex(t.names().get(i)));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.index("prompt"));
    assertEquals("no column prompt in the trace contract", e.getMessage());
  }

  @Test
  void badDefinitionsAreRefused() {
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> new Contract("x",
        List.of(Column.required("a", Type.INT, "a"), Column.nullable("a", Type.STRING, "again"))));
    assertEquals("contract x: column a twice", twice.getMessage());
    IllegalArgumentException list = assertThrows(IllegalArgumentException.class,
        () -> Column.nullable("reasons", Type.STRING_LIST, "codes"));
    assertEquals("column reasons: a list<string> is empty, never null", list.getMessage());
  }

  @Test
  void docTypesNameNullability() {
    assertEquals("string, required", Contracts.TRACE.column("prompt_id").docType());
    assertEquals("long, null", Contracts.TRACE.column("seed").docType());
    assertEquals("list<string>", Contracts.VERDICT.column("reasons").docType());
  }
}
