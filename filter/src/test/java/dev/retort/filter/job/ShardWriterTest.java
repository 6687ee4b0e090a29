package dev.retort.filter.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.filter.SftView;
import dev.retort.filter.TestTraces;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The direct writer makes the files parquet-avro makes from the codecs: same schema, footer and values. */
class ShardWriterTest {
  @TempDir Path dir;

  private static final List<Verdict> VERDICTS = List.of(
      new Verdict(TestTraces.trace("p-1", 0, "What is 1+1?", "2", "add one and one", "\\boxed{2}"), true, "2", List.of()),
      new Verdict(new Trace("p-2", 3, null, null, "Ünïcödé 数学 problem", null, null, new SamplingParams(0, 1, 0, 1, null),
          null, null, null, 0, 0, 0, "boom"), false, null, List.of("malformed:null_field:top_p", "generation_error")),
      new Verdict(new Trace("", -1, "t", "s", "x", "y", AnswerType.CHOICE, new SamplingParams(1.5, 0.5, 40, 9, -3L),
          "r\u0000\uD835\uDC00", "", "length", 7, 8, 9L, null), false, "", List.of("truncated")));

  private static FileMetaData footer(Path f) throws Exception {
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toUri()),
        new Configuration()))) {
      return r.getFooter().getFileMetaData();
    }
  }

  private static <T> void sameAsCodec(Path dir, ContractRows.Writer<T> rows, dev.retort.core.io.RowCodec<T> codec, List<T> values)
      throws Exception {
    Path ours = dir.resolve("ours.parquet");
    Path theirs = dir.resolve("avro.parquet");
    ShardWriter<T> w = new ShardWriter<>(ours, rows);
    values.forEach(w::write);
    w.close();
    ParquetIO.write(theirs, codec, values);
    assertEquals(values, ParquetIO.read(ours, codec));
    assertEquals(ParquetIO.read(theirs, codec), ParquetIO.read(ours, codec));
    FileMetaData a = footer(ours);
    FileMetaData b = footer(theirs);
    assertEquals(b.getSchema(), a.getSchema());
    assertEquals(b.getKeyValueMetaData().get("parquet.avro.schema"), a.getKeyValueMetaData().get("parquet.avro.schema"));
    assertEquals(b.getKeyValueMetaData().get("writer.model.name"), a.getKeyValueMetaData().get("writer.model.name"));
    assertEquals(values.size(), SharedSpark.get().read().parquet(ours.toString()).count());
  }

  @Test
  void verdictsMatchTheCodecsFiles() throws Exception {
    sameAsCodec(dir.resolve("v"), ContractRows.VERDICT, Codecs.VERDICT, VERDICTS);
  }

  @Test
  void sftRowsMatchTheCodecsFiles() throws Exception {
    var s = TestTraces.settings();
    List<SftExample> rows = List.of(SftView.of(VERDICTS.get(0).trace(), s), SftView.of(VERDICTS.get(2).trace(), s),
        new SftExample("p-9", 1, null, "user turn", null, null, "completion",
            List.of(new SftExample.Message("system", "be brief"), new SftExample.Message("user", "user turn"))));
    sameAsCodec(dir.resolve("s"), ContractRows.SFT, Codecs.SFT, rows);
  }
}
