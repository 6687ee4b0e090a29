package dev.retort.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.store.Location;
import dev.retort.model.PythonRef;
import dev.retort.model.RealTokenizers;
import dev.retort.model.Tokenizer;
import dev.retort.pipelines.run.ServerPool;
import dev.retort.train.SftData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * conf/qwen-student.conf's stages on CPU, as docs/real-models.md runs them (generate, filter,
 * train, eval through the CLI), with tiny random-weight checkpoints that carry real tokenizers:
 * the teacher an R1-Distill-shaped Qwen2 with the DeepSeek tokenizer and R1's chat template,
 * served by {@code retort serve} over loopback HTTP as the config's "vLLM" pool; the student a
 * Qwen3 with the Qwen3 tokenizer and template. The prompts are a Hugging Face datasets folder
 * (two train shards and a test shard, the dataset's own column names). Only sizes, locations
 * and the filter's quality bars (a random teacher's reasoning is noise) are overridden.
 *
 * <p>A random teacher never closes a think block, so it is first fine-tuned for a few steps on
 * one fixed reply, enough to emit the R1 format; correctness is not asked of it.
 */
class QwenStudentConfigTest {
  static final Path CONF = Path.of("../conf/qwen-student.conf").toAbsolutePath().normalize();
  static final String SERVED = "deepseek-r1-distill-qwen-32b";

  /**
   * The messages column exactly: Parquet's standard three-level LIST of a struct of two strings,
   * which pyarrow reads as {@code list<element: struct<role: string, content: string>>} and
   * Hugging Face datasets as {@code [{"role": Value("string"), "content": Value("string")}]}: TRL's
   * conversational format.
   */
  static final String MESSAGES = """
      required group messages (LIST) {
        repeated group list {
          required group element {
            required binary role (STRING);
            required binary content (STRING);
          }
        }
      }""".stripIndent().strip();

  @TempDir Path dir;

  private static final Schema ROW = SchemaBuilder.record("row").fields()
      .requiredString("uuid").requiredString("problem").requiredString("solution").requiredString("answer")
      .endRecord();

  /** A prompt set in the Hub's layout: data/train-0000i-of-00002.parquet and a test shard never read. */
  private Path dataset() {
    Path ds = dir.resolve("toy-r1-math");
    int id = 0;
    String[] shards = {"train-00000-of-00002", "train-00001-of-00002", "test-00000-of-00001"};
    for (String shard : shards) {
      List<GenericRecord> rows = new ArrayList<>();
      for (int i = 0; i < 2; i++, id++) {
        GenericRecord r = new GenericData.Record(ROW);
        r.put("uuid", "u" + id);
        r.put("problem", "What is " + id + " plus " + id + "?");
        r.put("solution", id + " + " + id + " = " + 2 * id);
        r.put("answer", Integer.toString(2 * id));
        rows.add(r);
      }
      ParquetIO.writeRecords(ds.resolve("data").resolve(shard + ".parquet"), ROW, rows);
    }
    return ds;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = QwenStudentConfigTest.class.getResourceAsStream("/chat-templates/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** {@code model init} of a tiny config with a real tokenizer (and a chat template when given). */
  private Path checkpoint(String name, String modelType, String family, String template, String extra) throws Exception {
    Path tok = RealTokenizers.unpack(family, dir.resolve(name + "-tok"));
    if (template != null) {
      Files.writeString(tok.resolve(Tokenizer.CHAT_TEMPLATE_FILE), resource(template));
    }
    int vocab;
    try (Tokenizer t = Tokenizer.load(tok)) {
      vocab = t.vocabSize();
    }
    Path cfg = dir.resolve(name + "-config.json");
    Files.writeString(cfg, "{\"model_type\":\"" + modelType + "\",\"vocab_size\":" + vocab + ",\"hidden_size\":16,"
        + "\"intermediate_size\":32,\"num_hidden_layers\":1,\"num_attention_heads\":2,\"num_key_value_heads\":1," + extra
        + "\"tie_word_embeddings\":true,\"max_position_embeddings\":512}");
    Path out = dir.resolve(name + "-init");
    TinyPipeline.run("model", "init", "--config", cfg.toString(), "--out", out.toString(),
        "--tokenizer", tok.resolve("tokenizer.json").toString(), "--seed", "5");
    return out;
  }

  private List<String> base(Path work) {
    return new ArrayList<>(List.of("--config", CONF.toString(),
        "--set", "run.work-dir=" + Json.toJson(work.toString())));
  }

  private static List<String> with(List<String> args, String... more) {
    List<String> a = new ArrayList<>(args);
    for (String m : more) {
      a.add("--set");
      a.add(m);
    }
    return a;
  }

  @Test
  void theRealPathRunsOnTinyCheckpointsWithRealTokenizers() throws Exception {
    Path work = dir.resolve("work");
    Path run = work.resolve("qwen-student");
    Path ds = dataset();
    List<Prompt> train = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      train.add(new Prompt("u" + i, "toy", "What is " + i + " plus " + i + "?", Integer.toString(2 * i), null, null, null));
    }

    // The teacher: R1-Distill-shaped, taught the R1 reply format in a few steps (see the class comment).
    Path teacherInit = checkpoint("teacher", "qwen2", "deepseek_v3", "deepseek_r1_distill.jinja", "");
    String template = "{problem}\nPlease reason step by step, and put your final answer within \\boxed{}.";
    List<SftExample> reply = new ArrayList<>();
    for (Prompt p : train) {
      reply.add(SftExample.of(p.id(), 0, "toy", template.replace("{problem}", p.problem()), "Add them.", "\\boxed{4}"));
    }
    Path teacherSft = SftData.write(dir.resolve("teacher-sft"), reply);
    Path teacher = dir.resolve("teacher");
    TinyPipeline.run(with(List.of("train", "--config", CONF.toString(), "--data", teacherSft.toString(), "--out", teacher.toString()),
        "train.init-from=" + Json.toJson(teacherInit.toString()), "train.trainer=djl", "train.devices=cpu", "train.threads=2",
        "train.epochs=200", "train.max-steps=50", "train.batch-size=4", "train.grad-accum=1", "train.seq-len=128",
        "train.lr=1e-2", "train.min-lr-ratio=1.0", "train.warmup-steps=0", "train.checkpoint-every=0", "train.log-every=20")
        .toArray(String[]::new));

    Path student = checkpoint("student", "qwen3", "qwen3", null, "\"head_dim\":8,");
    Path logs = Files.createDirectories(dir.resolve("logs"));
    try (ServerPool pool = ServerPool.start(1, List.of("--model", teacher.toString(), "--served-model-name", SERVED,
        "--max-batch", "8", "--device", "cpu"), logs, Duration.ofMinutes(2))) {
      String endpoint = pool.endpoints().get(0);
      endpoint = endpoint.endsWith("/v1") ? endpoint : endpoint + "/v1";

      // generate: the HF folder as it is, the config's columns and split.
      List<String> gen = with(base(work), "teacher.endpoints=" + Json.toJson(List.of(endpoint)),
          "teacher.api-key-env=null", "generate.prompts=" + Json.toJson(ds.toString()),
          "generate.samples-per-prompt=2", "generate.max-tokens=24", "generate.temperature=0", "generate.shards=2",
          "generate.spark-master=\"local[2]\"");
      gen.add(0, "generate");
      TinyPipeline.run(gen.toArray(String[]::new));
      List<Trace> traces = ParquetIO.read(Location.local(run.resolve("traces")), Codecs.TRACE);
      assertEquals(8, traces.size(), "4 train prompts x 2 samples; the test shard is not read");
      assertEquals(List.of("u0", "u1", "u2", "u3"), traces.stream().map(Trace::promptId).distinct().sorted().toList());
      for (Trace t : traces) {
        assertEquals(SERVED, t.teacherId());
        int i = Integer.parseInt(t.promptId().substring(1));
        assertEquals("What is " + i + " plus " + i + "?", t.problem(), "the problem column");
        assertEquals(Integer.toString(2 * i), t.referenceAnswer(), "the answer column is the reference");
      }

      // filter: the SFT view as the conversational messages column.
      List<String> filter = with(base(work), "filter.require-correct=false", "filter.min-reasoning-chars=0",
          "filter.max-mixed-script-share=1.0", "filter.max-repeated-share=1.0", "filter.dedup-traces=false",
          "filter.keep-per-prompt=0", "filter.spark-master=\"local[2]\"");
      filter.add(0, "filter");
      TinyPipeline.run(filter.toArray(String[]::new));
      Path sft = run.resolve("filtered/sft");
      List<SftExample> rows = ParquetIO.read(Location.local(sft), Codecs.SFT);
      assertFalse(rows.isEmpty(), "the taught teacher's traces pass the format checks");
      for (SftExample e : rows) {
        assertEquals(2, e.messages().size());
        assertEquals(new SftExample.Message("user", e.prompt()), e.messages().get(0));
        assertEquals("assistant", e.messages().get(1).role());
        assertEquals(e.completion(), e.messages().get(1).content());
        assertTrue(e.completion().startsWith("<think>\n") && e.completion().contains("\n</think>\n\n"), e.completion());
      }
      for (Location f : ParquetIO.files(Location.local(sft))) {
        try (ParquetFileReader r = ParquetFileReader.open(ParquetIO.inputFile(f))) {
          MessageType schema = r.getFooter().getFileMetaData().getSchema();
          assertEquals(MESSAGES, schema.getType("messages").toString(), "in " + f);
        }
      }

      // train: the student from its local checkpoint, sizes cut down; the config's trainer (TRL)
      // on the CPU, with bin/python-env's Python, else the in-process trainer.
      boolean trl = PythonRef.ecosystemIfPresent().isPresent();
      List<String> trainArgs = with(base(work), "train.init-from=" + Json.toJson(student.toString()), "train.devices=cpu",
          "train.threads=2", "train.max-steps=2", "train.grad-accum=1", "train.batch-size=2", "train.seq-len=256",
          "train.checkpoint-every=0", "train.warmup-steps=0", "train.log-every=1");
      if (!trl) {
        trainArgs = with(trainArgs, "train.trainer=djl");
      }
      trainArgs.add(0, "train");
      TinyPipeline.run(trainArgs.toArray(String[]::new));
      Path model = run.resolve("models/student");
      assertTrue(Files.exists(model.resolve("model.safetensors")) && Files.exists(model.resolve("_SUCCESS")));
      assertTrue(Files.readString(model.resolve("config.json")).contains("\"qwen3\""));
      JsonNode stats = Json.read(model.resolve("stats.json"));
      assertEquals(trl ? "trl" : "djl", stats.get("trainer").asText(), stats.toString());
      assertEquals(2, stats.get("steps").asLong(), stats.toString());

      // eval: the config's three benchmarks (tiny files in their real formats), teacher over HTTP, student local.
      Path bench = Files.createDirectories(dir.resolve("benchmarks"));
      Files.writeString(bench.resolve("math500.jsonl"), "{\"problem\":\"Compute $2+3$.\",\"solution\":\"$\\\\boxed{5}$\","
          + "\"answer\":\"5\",\"subject\":\"Algebra\",\"level\":1,\"unique_id\":\"test/algebra/1.json\"}\n");
      Files.writeString(bench.resolve("aime24.jsonl"), "{\"id\":60,\"problem\":\"Find 6 times 7.\",\"solution\":\"42\",\"answer\":\"42\",\"url\":\"u\"}\n");
      Files.writeString(bench.resolve("gsm8k_test.jsonl"), "{\"question\":\"Tom has 2 apples and gets 2. How many?\",\"answer\":\"2+2=4\\n#### 4\"}\n");
      List<String> eval = with(base(work),
          "eval.models=[{name=teacher, endpoint=" + Json.toJson(endpoint) + ", served-model=" + SERVED + ", role=teacher},"
              + " {name=student, checkpoint=student, role=distilled}]",
          "eval.benchmarks=[{name=math500, file=" + Json.toJson(bench.resolve("math500.jsonl").toString()) + ", k=1},"
              + " {name=aime24, file=" + Json.toJson(bench.resolve("aime24.jsonl").toString()) + ", k=2},"
              + " {name=gsm8k, file=" + Json.toJson(bench.resolve("gsm8k_test.jsonl").toString()) + ", k=1}]",
          "eval.protocol.max-tokens=8", "eval.device=cpu");
      eval.add(0, "eval");
      String out = TinyPipeline.run(eval.toArray(String[]::new));
      for (String m : List.of("teacher", "student")) {
        for (String b : List.of("math500", "aime24", "gsm8k")) {
          assertTrue(out.lines().anyMatch(l -> l.startsWith(m) && l.contains(b) && l.contains("pass@1=")), out);
        }
      }
      assertTrue(Files.exists(run.resolve("report/index.html")), "the report");
    }
  }
}
