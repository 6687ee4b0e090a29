package dev.retort.filter.job;

import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.core.io.Codecs;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;

/**
 * The filter's two output contracts (core's {@link Codecs#VERDICT} and {@link Codecs#SFT}) written
 * straight to Parquet's record consumer, field by field, with the contract's Avro schema. Files
 * are the same as parquet-avro writes from the codecs' records (schema, footer metadata, values;
 * tests compare them), without building an Avro record per row and converting every string twice
 * (String to Utf8 to Binary), which was most of the job's write time. The SFT view writes each text
 * it repeats (the prompt in {@code messages}, the completion in {@code messages}) from one encoding.
 */
final class ContractRows {
  private ContractRows() {}

  /** Writes rows of one contract: its Avro schema (the file's schema) and one row's fields in schema order. */
  interface Writer<T> {
    Schema schema();

    void write(Out out, T row);
  }

  static final Writer<Verdict> VERDICT = new Writer<>() {
    @Override
    public Schema schema() {
      return Codecs.VERDICT.schema();
    }

    @Override
    public void write(Out o, Verdict v) {
      trace(o, v.trace());
      o.bool(19, "correct", v.correct());
      o.string(20, "extracted", v.extracted());
      o.stringList(21, "reasons", v.reasons());
      o.bool(22, "accepted", v.accepted());
    }
  };

  static final Writer<SftExample> SFT = new Writer<>() {
    @Override
    public Schema schema() {
      return Codecs.SFT.schema();
    }

    @Override
    public void write(Out o, SftExample e) {
      o.required(0, "prompt_id", e.promptId());
      o.int32(1, "sample_index", e.sampleIndex());
      o.string(2, "source", e.source());
      Binary prompt = o.required(3, "prompt", e.prompt());
      o.string(4, "reasoning", e.reasoning());
      o.string(5, "answer", e.answer());
      Binary completion = o.required(6, "completion", e.completion());
      RecordConsumer c = o.consumer();
      c.startField("messages", 7);
      c.startGroup();
      if (!e.messages().isEmpty()) {
        c.startField("list", 0);
        for (SftExample.Message m : e.messages()) {
          c.startGroup();
          c.startField("element", 0);
          c.startGroup();
          o.required(0, "role", m.role());
          // SftExample.of puts the same strings in the messages: reuse their bytes.
          String content = m.content();
          if (content == e.prompt()) {
            o.binary(1, "content", prompt);
          } else if (content == e.completion()) {
            o.binary(1, "content", completion);
          } else {
            o.required(1, "content", content);
          }
          c.endGroup();
          c.endField("element", 0);
          c.endGroup();
        }
        c.endField("list", 0);
      }
      c.endGroup();
      c.endField("messages", 7);
    }
  };

  /** The trace contract's 19 columns, as {@code Codecs.putTrace} fills them. */
  private static void trace(Out o, Trace t) {
    o.required(0, "prompt_id", t.promptId());
    o.int32(1, "sample_index", t.sampleIndex());
    o.string(2, "teacher_id", t.teacherId());
    o.string(3, "source", t.source());
    o.string(4, "problem", t.problem());
    o.string(5, "reference_answer", t.referenceAnswer());
    o.string(6, "answer_type", t.answerType() == null ? null : t.answerType().code());
    SamplingParams s = t.sampling();
    o.float64(7, "temperature", s.temperature());
    o.float64(8, "top_p", s.topP());
    o.int32(9, "top_k", s.topK());
    o.int32(10, "max_tokens", s.maxTokens());
    if (s.seed() != null) {
      o.int64(11, "seed", s.seed());
    }
    o.string(12, "reasoning", t.reasoning());
    o.string(13, "answer", t.answer());
    o.string(14, "finish_reason", t.finishReason());
    o.int32(15, "prompt_tokens", t.promptTokens());
    o.int32(16, "completion_tokens", t.completionTokens());
    o.int64(17, "latency_ms", t.latencyMs());
    o.string(18, "error", t.error());
  }

  /** Field writes on a record consumer; a null optional field is simply not written (Parquet's null). */
  static final class Out {
    private final RecordConsumer c;
    /**
     * The last string written to each field and its bytes: a prompt's samples share their prompt
     * columns as one String (the job's reader reuses them), so each is encoded once per prompt.
     * By identity: equal strings that are different objects are simply encoded again.
     */
    private final String[] lastString = new String[32];
    private final Binary[] lastBinary = new Binary[32];

    Out(RecordConsumer c) {
      this.c = c;
    }

    /** The field's bytes, reused when the same String was written to it last. */
    private Binary encode(int index, String value) {
      if (index < lastString.length) {
        if (lastString[index] == value) {
          return lastBinary[index];
        }
        Binary b = utf8(value);
        lastString[index] = value;
        lastBinary[index] = b;
        return b;
      }
      return utf8(value);
    }

    RecordConsumer consumer() {
      return c;
    }

    void string(int index, String name, String value) {
      if (value != null) {
        binary(index, name, encode(index, value));
      }
    }

    /** A required string column; returns its bytes for reuse. */
    Binary required(int index, String name, String value) {
      if (value == null) {
        throw new IllegalArgumentException("null value for required field " + name);
      }
      Binary b = encode(index, value);
      binary(index, name, b);
      return b;
    }

    void binary(int index, String name, Binary value) {
      c.startField(name, index);
      c.addBinary(value);
      c.endField(name, index);
    }

    void int32(int index, String name, int value) {
      c.startField(name, index);
      c.addInteger(value);
      c.endField(name, index);
    }

    void int64(int index, String name, long value) {
      c.startField(name, index);
      c.addLong(value);
      c.endField(name, index);
    }

    void float64(int index, String name, double value) {
      c.startField(name, index);
      c.addDouble(value);
      c.endField(name, index);
    }

    void bool(int index, String name, boolean value) {
      c.startField(name, index);
      c.addBoolean(value);
      c.endField(name, index);
    }

    /** A required list of required strings, in the standard 3-level layout (list / element). */
    void stringList(int index, String name, List<String> values) {
      c.startField(name, index);
      c.startGroup();
      if (!values.isEmpty()) {
        c.startField("list", 0);
        for (String v : values) {
          c.startGroup();
          binary(0, "element", utf8(v));
          c.endGroup();
        }
        c.endField("list", 0);
      }
      c.endGroup();
      c.endField(name, index);
    }

    /**
     * The bytes are owned by the Binary (constant): dictionary and statistics may keep it without
     * copying. String.getBytes is one intrinsic copy for Latin-1 text.
     */
    private static Binary utf8(String s) {
      return Binary.fromConstantByteArray(s.getBytes(StandardCharsets.UTF_8));
    }
  }
}
