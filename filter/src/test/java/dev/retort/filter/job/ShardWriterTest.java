package dev.retort.filter.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.SharedSpark;
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
    ShardWriter<T> w = new ShardWriter<>(ours, rows, new RecyclingAllocator(1L << 20));
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

  /**
   * Three writers of one task share the recycling allocator, interleaved, over many pages of long
   * random texts: a page buffer handed out while another writer still held it would show as a
   * changed row.
   */
  @Test
  void writersSharingRecycledBuffersKeepEveryRow() throws Exception {
    RecyclingAllocator buffers = new RecyclingAllocator(64L << 20);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
    List<List<Verdict>> expected = List.of(new java.util.ArrayList<>(), new java.util.ArrayList<>(), new java.util.ArrayList<>());
    List<ShardWriter<Verdict>> writers = new java.util.ArrayList<>();
    for (int w = 0; w < 3; w++) {
      writers.add(new ShardWriter<>(dir.resolve("shared-" + w + ".parquet"), ContractRows.VERDICT, buffers));
    }
    for (int i = 0; i < 6000; i++) {
      StringBuilder text = new StringBuilder();
      for (int c = rnd.nextInt(50, 3000); c > 0; c--) {
        text.append((char) rnd.nextInt(32, 127));
      }
      Verdict v = new Verdict(TestTraces.trace("p-" + i, i % 7, "problem " + i, Integer.toString(i), text.toString(),
          "\\boxed{" + i + "}"), i % 3 == 0, Integer.toString(i), i % 3 == 0 ? List.of() : List.of("incorrect"));
      int w = rnd.nextInt(3);
      writers.get(w).write(v);
      expected.get(w).add(v);
    }
    for (ShardWriter<Verdict> w : writers) {
      w.close();
    }
    assertTrue(buffers.pooledBytes() > 0, "page buffers were recycled");
    for (int w = 0; w < 3; w++) {
      assertEquals(expected.get(w), ParquetIO.read(dir.resolve("shared-" + w + ".parquet"), Codecs.VERDICT), "writer " + w);
    }
  }

  @Test
  void recyclingAllocatorNeverHandsOutOneBufferTwice() {
    RecyclingAllocator a = new RecyclingAllocator(1L << 20);
    java.nio.ByteBuffer b = a.allocate(1024);
    b.put((byte) 7);
    a.release(b);
    a.release(b); // released twice: pooled once
    java.nio.ByteBuffer again = a.allocate(1024);
    assertSame(b, again);
    assertEquals(0, again.position());
    assertEquals(1024, again.limit());
    assertNotSame(b, a.allocate(1024));
    a.release(java.nio.ByteBuffer.wrap(new byte[2048], 0, 100).slice()); // a slice: not pooled
    assertEquals(0, a.pooledBytes());
    RecyclingAllocator small = new RecyclingAllocator(1500);
    small.release(java.nio.ByteBuffer.allocate(1024));
    small.release(java.nio.ByteBuffer.allocate(1024)); // over the cap: dropped
    assertEquals(1024, small.pooledBytes());
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
