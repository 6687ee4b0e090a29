package dev.retort.pipelines.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Prompt;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.store.Location;
import dev.retort.core.store.Stores;
import dev.retort.teacher.generate.GenerateStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prompt set in Hugging Face datasets layout on a real HDFS (one in-JVM namenode and datanode):
 * the generate stage reads its train shards (Parquet and JSONL) with the configured columns
 * straight from {@code hdfs://}, the same prompts as from the local copy, and a missing column
 * fails before anything is written, naming the HDFS file.
 */
class HfPromptsOnHdfsTest {
  @TempDir static Path tmp;
  private static HdfsFixture dfs;
  private static String hdfs;

  @BeforeAll
  static void start() throws Exception {
    System.setProperty("retort.cache-dir", tmp.resolve("cache").toString());
    dfs = new HdfsFixture(tmp.resolve("dfs"));
    hdfs = dfs.uri();
  }

  @AfterAll
  static void stop() {
    if (dfs != null) {
      dfs.close();
    }
  }

  private static final Schema ROW = SchemaBuilder.record("row").fields()
      .requiredString("qid").requiredString("instruction").requiredString("final").endRecord();

  private static Path dataset(Path root) throws Exception {
    List<GenericRecord> rows = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      GenericRecord r = new GenericData.Record(ROW);
      r.put("qid", "q" + i);
      r.put("instruction", "Compute " + i + " * 3.");
      r.put("final", Integer.toString(3 * i));
      rows.add(r);
    }
    ParquetIO.writeRecords(root.resolve("data/train-00000-of-00002.parquet"), ROW, rows);
    Files.writeString(root.resolve("data/train-00001-of-00002.jsonl"),
        "{\"qid\":\"q9\",\"instruction\":\"Compute 9 * 3.\",\"final\":\"27\"}\n");
    ParquetIO.writeRecords(root.resolve("data/test-00000-of-00001.parquet"), ROW, rows.subList(0, 1));
    return root;
  }

  private static RetortConfig config(String prompts, String problemColumn) {
    return RetortConfig.defaults("run.work-dir=" + dev.retort.core.io.Json.toJson(tmp.resolve("work").toString()),
        "generate.prompts=" + dev.retort.core.io.Json.toJson(prompts),
        "generate.prompt-columns.id=qid", "generate.prompt-columns.problem=" + problemColumn,
        "generate.prompt-columns.answer=final", "generate.layout=generic");
  }

  @Test
  void generateReadsTheTrainSplitFromHdfsAsItReadsItLocally() throws Exception {
    Path local = dataset(tmp.resolve("local/toy"));
    Location remote = Location.of(hdfs + "/datasets/toy");
    Stores.copyFromLocal(local, remote);

    List<Prompt> fromHdfs = GenerateStage.prepare(config(remote.toString(), "instruction")).prompts();
    List<Prompt> fromDisk = GenerateStage.prepare(config(local.toString(), "instruction")).prompts();
    assertEquals(fromDisk, fromHdfs);
    assertEquals(List.of("q0", "q1", "q2", "q9"), fromHdfs.stream().map(Prompt::id).toList());
    assertEquals("Compute 9 * 3.", fromHdfs.get(3).problem());
    assertEquals("27", fromHdfs.get(3).referenceAnswer());
    Path cache = Path.of(System.getProperty("retort.cache-dir"));
    if (Files.isDirectory(cache)) {
      try (var list = Files.list(cache)) {
        assertFalse(list.anyMatch(p -> p.getFileName().toString().startsWith("toy")), "no local copy of the prompts");
      }
    }

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GenerateStage.prepare(config(remote.toString(), "question")));
    assertTrue(e.getMessage().startsWith("generate.prompts: " + hdfs + "/datasets/toy/data/train-00000-of-00002.parquet: no column 'question'"),
        e.getMessage());
  }
}
