package dev.retort.core.io;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.EvalSample;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * The codecs of Retort's data contracts: each maps its Java record to a row of the contract's
 * Avro schema, which is derived from the contract's columns in {@link Contracts} (the one
 * definition; docs/data-contracts.md). Fields are put by column name, so a name that the contract
 * lacks fails at the first write (Avro rejects it), and the round-trip tests read every field back.
 */
public final class Codecs {
  private Codecs() {}

  public static final RowCodec<Prompt> PROMPT = new PromptCodec();
  public static final RowCodec<Trace> TRACE = new TraceCodec();
  public static final RowCodec<Verdict> VERDICT = new VerdictCodec();
  public static final RowCodec<EvalSample> EVAL_SAMPLE = new EvalSampleCodec();
  public static final RowCodec<SftExample> SFT = new SftCodec();

  private static final class SftCodec implements RowCodec<SftExample> {
    private final Schema schema = Contracts.SFT.avroSchema();
    private final Schema message = schema.getField("messages").schema().getElementType();

    @Override
    public Contract contract() {
      return Contracts.SFT;
    }

    @Override
    public GenericRecord encode(SftExample e) {
      GenericRecord r = new GenericData.Record(schema);
      r.put("prompt_id", e.promptId());
      r.put("sample_index", e.sampleIndex());
      r.put("source", e.source());
      r.put("prompt", e.prompt());
      r.put("reasoning", e.reasoning());
      r.put("answer", e.answer());
      r.put("completion", e.completion());
      List<GenericRecord> msgs = new ArrayList<>();
      for (SftExample.Message m : e.messages()) {
        GenericRecord mr = new GenericData.Record(message);
        mr.put("role", m.role());
        mr.put("content", m.content());
        msgs.add(mr);
      }
      r.put("messages", msgs);
      return r;
    }

    @Override
    public SftExample decode(GenericRecord r) {
      List<SftExample.Message> msgs = new ArrayList<>();
      Object a = r.get("messages");
      if (a instanceof List<?> list) {
        for (Object o : list) {
          GenericRecord m = (GenericRecord) o;
          msgs.add(new SftExample.Message(str(m, "role"), str(m, "content")));
        }
      }
      return new SftExample(str(r, "prompt_id"), (Integer) r.get("sample_index"), str(r, "source"), str(r, "prompt"),
          str(r, "reasoning"), str(r, "answer"), str(r, "completion"), msgs);
    }
  }

  static void putTrace(GenericRecord r, Trace t) {
    r.put("prompt_id", t.promptId());
    r.put("sample_index", t.sampleIndex());
    r.put("teacher_id", t.teacherId());
    r.put("source", t.source());
    r.put("problem", t.problem());
    r.put("reference_answer", t.referenceAnswer());
    r.put("answer_type", t.answerType() == null ? null : t.answerType().code());
    SamplingParams s = t.sampling();
    r.put("temperature", s.temperature());
    r.put("top_p", s.topP());
    r.put("top_k", s.topK());
    r.put("max_tokens", s.maxTokens());
    r.put("seed", s.seed());
    r.put("reasoning", t.reasoning());
    r.put("answer", t.answer());
    r.put("finish_reason", t.finishReason());
    r.put("prompt_tokens", t.promptTokens());
    r.put("completion_tokens", t.completionTokens());
    r.put("latency_ms", t.latencyMs());
    r.put("error", t.error());
  }

  static Trace getTrace(GenericRecord r) {
    return new Trace(
        str(r, "prompt_id"),
        (Integer) r.get("sample_index"),
        str(r, "teacher_id"),
        str(r, "source"),
        str(r, "problem"),
        str(r, "reference_answer"),
        r.get("answer_type") == null ? null : AnswerType.parse(str(r, "answer_type")),
        new SamplingParams(
            (Double) r.get("temperature"),
            (Double) r.get("top_p"),
            (Integer) r.get("top_k"),
            (Integer) r.get("max_tokens"),
            (Long) r.get("seed")),
        str(r, "reasoning"),
        str(r, "answer"),
        str(r, "finish_reason"),
        (Integer) r.get("prompt_tokens"),
        (Integer) r.get("completion_tokens"),
        (Long) r.get("latency_ms"),
        str(r, "error"));
  }

  static String str(GenericRecord r, String field) {
    Object v = r.get(field);
    return v == null ? null : v.toString();
  }

  private static final class PromptCodec implements RowCodec<Prompt> {
    private final Schema schema = Contracts.PROMPT.avroSchema();

    @Override
    public Contract contract() {
      return Contracts.PROMPT;
    }

    @Override
    public GenericRecord encode(Prompt p) {
      GenericRecord r = new GenericData.Record(schema);
      r.put("id", p.id());
      r.put("source", p.source());
      r.put("problem", p.problem());
      r.put("reference_answer", p.referenceAnswer());
      r.put("answer_type", p.answerType().code());
      r.put("solution", p.solution());
      r.put("metadata", new LinkedHashMap<>(p.metadata()));
      return r;
    }

    @Override
    public Prompt decode(GenericRecord r) {
      Map<String, String> meta = new LinkedHashMap<>();
      Object m = r.get("metadata");
      if (m instanceof Map<?, ?> map) {
        map.forEach((k, v) -> meta.put(k.toString(), v == null ? null : v.toString()));
      }
      return new Prompt(str(r, "id"), str(r, "source"), str(r, "problem"), str(r, "reference_answer"),
          AnswerType.parse(str(r, "answer_type")), str(r, "solution"), meta);
    }
  }

  private static final class TraceCodec implements RowCodec<Trace> {
    private final Schema schema = Contracts.TRACE.avroSchema();

    @Override
    public Contract contract() {
      return Contracts.TRACE;
    }

    @Override
    public GenericRecord encode(Trace t) {
      GenericRecord r = new GenericData.Record(schema);
      putTrace(r, t);
      return r;
    }

    @Override
    public Trace decode(GenericRecord r) {
      return getTrace(r);
    }
  }

  private static final class VerdictCodec implements RowCodec<Verdict> {
    private final Schema schema = Contracts.VERDICT.avroSchema();

    @Override
    public Contract contract() {
      return Contracts.VERDICT;
    }

    @Override
    public GenericRecord encode(Verdict v) {
      GenericRecord r = new GenericData.Record(schema);
      putTrace(r, v.trace());
      r.put("correct", v.correct());
      r.put("extracted", v.extracted());
      r.put("reasons", new ArrayList<>(v.reasons()));
      r.put("accepted", v.accepted());
      return r;
    }

    @Override
    public Verdict decode(GenericRecord r) {
      List<String> reasons = new ArrayList<>();
      Object a = r.get("reasons");
      if (a instanceof List<?> list) {
        list.forEach(x -> reasons.add(x.toString()));
      }
      return new Verdict(getTrace(r), (Boolean) r.get("correct"), str(r, "extracted"), reasons);
    }
  }

  private static final class EvalSampleCodec implements RowCodec<EvalSample> {
    private final Schema schema = Contracts.EVAL_SAMPLE.avroSchema();

    @Override
    public Contract contract() {
      return Contracts.EVAL_SAMPLE;
    }

    @Override
    public GenericRecord encode(EvalSample s) {
      GenericRecord r = new GenericData.Record(schema);
      r.put("model", s.model());
      r.put("benchmark", s.benchmark());
      r.put("problem_id", s.problemId());
      r.put("sample_index", s.sampleIndex());
      r.put("response", s.response());
      r.put("extracted", s.extracted());
      r.put("correct", s.correct());
      r.put("completion_tokens", s.completionTokens());
      r.put("finish_reason", s.finishReason());
      r.put("reference", s.reference());
      return r;
    }

    @Override
    public EvalSample decode(GenericRecord r) {
      return new EvalSample(str(r, "model"), str(r, "benchmark"), str(r, "problem_id"),
          (Integer) r.get("sample_index"), str(r, "response"), str(r, "extracted"),
          (Boolean) r.get("correct"), (Integer) r.get("completion_tokens"), str(r, "finish_reason"),
          str(r, "reference"));
    }
  }
}
