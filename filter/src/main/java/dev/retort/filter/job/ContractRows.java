package dev.retort.filter.job;

import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.core.io.Contract;
import dev.retort.core.io.Contracts;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;

/**
 * The filter's two output contracts (core's {@link Contracts#VERDICT} and {@link Contracts#SFT})
 * written straight to Parquet's record consumer, field by field; each field's position is looked up
 * from the contract's columns ({@link Slot}). Files are the same as parquet-avro writes from the
 * codecs' records (schema, footer metadata, values; tests compare them), without building an Avro
 * record per row or converting every string twice (String to Utf8 to Binary). The SFT view writes each text it repeats (the prompt in {@code messages},
 * the completion in {@code messages}) from one encoding.
 */
final class ContractRows {
  private ContractRows() {}

  /** Writes rows of one contract: the contract (the file's schema) and one row's fields in contract order. */
  interface Writer<T> {
    Contract contract();

    void write(Out out, T row);
  }

  /** A column's position in its contract (or struct) and its name: the record consumer's field calls take both. */
  record Slot(int index, String name) {
    static Slot of(Contract contract, String column) {
      return new Slot(contract.index(column), column);
    }

    /** A field of the struct that a list column holds (the SFT messages' role and content). */
    static Slot element(Contract contract, String column, String field) {
      Schema element = contract.avroSchema().getField(column).schema().getElementType();
      return new Slot(element.getField(field).pos(), field);
    }
  }

  // Positions in the verdict contract: the trace's columns, then the verdict's own.
  private static final Slot PROMPT_ID = Slot.of(Contracts.VERDICT, "prompt_id");
  private static final Slot SAMPLE_INDEX = Slot.of(Contracts.VERDICT, "sample_index");
  private static final Slot TEACHER_ID = Slot.of(Contracts.VERDICT, "teacher_id");
  private static final Slot SOURCE = Slot.of(Contracts.VERDICT, "source");
  private static final Slot PROBLEM = Slot.of(Contracts.VERDICT, "problem");
  private static final Slot REFERENCE_ANSWER = Slot.of(Contracts.VERDICT, "reference_answer");
  private static final Slot ANSWER_TYPE = Slot.of(Contracts.VERDICT, "answer_type");
  private static final Slot TEMPERATURE = Slot.of(Contracts.VERDICT, "temperature");
  private static final Slot TOP_P = Slot.of(Contracts.VERDICT, "top_p");
  private static final Slot TOP_K = Slot.of(Contracts.VERDICT, "top_k");
  private static final Slot MAX_TOKENS = Slot.of(Contracts.VERDICT, "max_tokens");
  private static final Slot SEED = Slot.of(Contracts.VERDICT, "seed");
  private static final Slot REASONING = Slot.of(Contracts.VERDICT, "reasoning");
  private static final Slot ANSWER = Slot.of(Contracts.VERDICT, "answer");
  private static final Slot FINISH_REASON = Slot.of(Contracts.VERDICT, "finish_reason");
  private static final Slot PROMPT_TOKENS = Slot.of(Contracts.VERDICT, "prompt_tokens");
  private static final Slot COMPLETION_TOKENS = Slot.of(Contracts.VERDICT, "completion_tokens");
  private static final Slot LATENCY_MS = Slot.of(Contracts.VERDICT, "latency_ms");
  private static final Slot ERROR = Slot.of(Contracts.VERDICT, "error");
  private static final Slot CORRECT = Slot.of(Contracts.VERDICT, "correct");
  private static final Slot EXTRACTED = Slot.of(Contracts.VERDICT, "extracted");
  private static final Slot REASONS = Slot.of(Contracts.VERDICT, "reasons");
  private static final Slot ACCEPTED = Slot.of(Contracts.VERDICT, "accepted");

  private static final Slot SFT_PROMPT_ID = Slot.of(Contracts.SFT, "prompt_id");
  private static final Slot SFT_SAMPLE_INDEX = Slot.of(Contracts.SFT, "sample_index");
  private static final Slot SFT_SOURCE = Slot.of(Contracts.SFT, "source");
  private static final Slot SFT_PROMPT = Slot.of(Contracts.SFT, "prompt");
  private static final Slot SFT_REASONING = Slot.of(Contracts.SFT, "reasoning");
  private static final Slot SFT_ANSWER = Slot.of(Contracts.SFT, "answer");
  private static final Slot SFT_COMPLETION = Slot.of(Contracts.SFT, "completion");
  private static final Slot SFT_MESSAGES = Slot.of(Contracts.SFT, "messages");
  private static final Slot ROLE = Slot.element(Contracts.SFT, "messages", "role");
  private static final Slot CONTENT = Slot.element(Contracts.SFT, "messages", "content");

  static final Writer<Verdict> VERDICT = new Writer<>() {
    @Override
    public Contract contract() {
      return Contracts.VERDICT;
    }

    @Override
    public void write(Out o, Verdict v) {
      trace(o, v.trace());
      o.bool(CORRECT, v.correct());
      o.string(EXTRACTED, v.extracted());
      o.stringList(REASONS, v.reasons());
      o.bool(ACCEPTED, v.accepted());
    }
  };

  static final Writer<SftExample> SFT = new Writer<>() {
    @Override
    public Contract contract() {
      return Contracts.SFT;
    }

    @Override
    public void write(Out o, SftExample e) {
      o.required(SFT_PROMPT_ID, e.promptId());
      o.int32(SFT_SAMPLE_INDEX, e.sampleIndex());
      o.string(SFT_SOURCE, e.source());
      Binary prompt = o.required(SFT_PROMPT, e.prompt());
      o.string(SFT_REASONING, e.reasoning());
      o.string(SFT_ANSWER, e.answer());
      Binary completion = o.required(SFT_COMPLETION, e.completion());
      RecordConsumer c = o.consumer();
      c.startField(SFT_MESSAGES.name(), SFT_MESSAGES.index());
      c.startGroup();
      if (!e.messages().isEmpty()) {
        // Parquet's standard 3-level list: list (repeated) / element.
        c.startField("list", 0);
        for (SftExample.Message m : e.messages()) {
          c.startGroup();
          c.startField("element", 0);
          c.startGroup();
          o.required(ROLE, m.role());
          // SftExample.of puts the same strings in the messages: reuse their bytes.
          String content = m.content();
          if (content == e.prompt()) {
            o.binary(CONTENT, prompt);
          } else if (content == e.completion()) {
            o.binary(CONTENT, completion);
          } else {
            o.required(CONTENT, content);
          }
          c.endGroup();
          c.endField("element", 0);
          c.endGroup();
        }
        c.endField("list", 0);
      }
      c.endGroup();
      c.endField(SFT_MESSAGES.name(), SFT_MESSAGES.index());
    }
  };

  /** The trace's columns of a verdict row, as {@code Codecs.putTrace} fills them. */
  private static void trace(Out o, Trace t) {
    o.required(PROMPT_ID, t.promptId());
    o.int32(SAMPLE_INDEX, t.sampleIndex());
    o.string(TEACHER_ID, t.teacherId());
    o.string(SOURCE, t.source());
    o.string(PROBLEM, t.problem());
    o.string(REFERENCE_ANSWER, t.referenceAnswer());
    o.string(ANSWER_TYPE, t.answerType() == null ? null : t.answerType().code());
    SamplingParams s = t.sampling();
    o.float64(TEMPERATURE, s.temperature());
    o.float64(TOP_P, s.topP());
    o.int32(TOP_K, s.topK());
    o.int32(MAX_TOKENS, s.maxTokens());
    if (s.seed() != null) {
      o.int64(SEED, s.seed());
    }
    o.string(REASONING, t.reasoning());
    o.string(ANSWER, t.answer());
    o.string(FINISH_REASON, t.finishReason());
    o.int32(PROMPT_TOKENS, t.promptTokens());
    o.int32(COMPLETION_TOKENS, t.completionTokens());
    o.int64(LATENCY_MS, t.latencyMs());
    o.string(ERROR, t.error());
  }

  /** Field writes on a record consumer; a null optional field is simply not written (Parquet's null). */
  static final class Out {
    /** The element of Parquet's standard 3-level list of strings. */
    private static final Slot LIST_ELEMENT = new Slot(0, "element");
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

    void string(Slot f, String value) {
      if (value != null) {
        binary(f, encode(f.index(), value));
      }
    }

    /** A required string column; returns its bytes for reuse. */
    Binary required(Slot f, String value) {
      if (value == null) {
        throw new IllegalArgumentException("null value for required field " + f.name());
      }
      Binary b = encode(f.index(), value);
      binary(f, b);
      return b;
    }

    void binary(Slot f, Binary value) {
      c.startField(f.name(), f.index());
      c.addBinary(value);
      c.endField(f.name(), f.index());
    }

    void int32(Slot f, int value) {
      c.startField(f.name(), f.index());
      c.addInteger(value);
      c.endField(f.name(), f.index());
    }

    void int64(Slot f, long value) {
      c.startField(f.name(), f.index());
      c.addLong(value);
      c.endField(f.name(), f.index());
    }

    void float64(Slot f, double value) {
      c.startField(f.name(), f.index());
      c.addDouble(value);
      c.endField(f.name(), f.index());
    }

    void bool(Slot f, boolean value) {
      c.startField(f.name(), f.index());
      c.addBoolean(value);
      c.endField(f.name(), f.index());
    }

    /** A required list of required strings, in the standard 3-level layout (list / element). */
    void stringList(Slot f, List<String> values) {
      c.startField(f.name(), f.index());
      c.startGroup();
      if (!values.isEmpty()) {
        c.startField("list", 0);
        for (String v : values) {
          c.startGroup();
          binary(LIST_ELEMENT, utf8(v));
          c.endGroup();
        }
        c.endField("list", 0);
      }
      c.endGroup();
      c.endField(f.name(), f.index());
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
