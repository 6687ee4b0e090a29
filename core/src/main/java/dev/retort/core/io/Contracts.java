package dev.retort.core.io;

import static dev.retort.core.io.Contract.Column.nullable;
import static dev.retort.core.io.Contract.Column.required;
import static dev.retort.core.io.Contract.Type.BOOLEAN;
import static dev.retort.core.io.Contract.Type.DOUBLE;
import static dev.retort.core.io.Contract.Type.INT;
import static dev.retort.core.io.Contract.Type.LONG;
import static dev.retort.core.io.Contract.Type.MESSAGE_LIST;
import static dev.retort.core.io.Contract.Type.STRING;
import static dev.retort.core.io.Contract.Type.STRING_LIST;
import static dev.retort.core.io.Contract.Type.STRING_MAP;

import java.util.List;

/**
 * The columns of Retort's data contracts, defined once: the codecs ({@link Codecs}), the filter's
 * Spark read schema, decoder and Parquet writers, and the tables of docs/data-contracts.md all
 * follow these lists (a test in core compares the doc's tables with them). The meanings are the
 * doc's text. Changing a column here changes the files every stage writes.
 */
public final class Contracts {
  private Contracts() {}

  /** A prompt (the {@code prompts/} folder); record {@code Prompt}. */
  public static final Contract PROMPT = new Contract("prompt", List.of(
      required("id", STRING, "stable id, unique in a prompt set (MATH-500 `unique_id`, arith `arith-<hash>-<len>`)"),
      required("source", STRING, "dataset or benchmark name (file stem)"),
      required("problem", STRING, "problem text without template"),
      nullable("reference_answer", STRING,
          "gold final answer; for `code`, the tests as a JSON array of `{input, output}` or `{assert}`"),
      required("answer_type", STRING, "`number`, `math`, `choice`, `string` or `code`: picks the verifier"),
      nullable("solution", STRING, "reference worked solution (MATH, GSM8K, arith)"),
      required("metadata", STRING_MAP, "subject, level, url, arith split/steps/canonical form, ...")));

  /** One teacher sample (the {@code traces/} folder and {@code traces/errors/}); record {@code Trace}. */
  public static final Contract TRACE = new Contract("trace", List.of(
      required("prompt_id", STRING, "the prompt's id"),
      required("sample_index", INT, "0..N-1"),
      nullable("teacher_id", STRING, "served model name or checkpoint id"),
      nullable("source", STRING, "the prompt's `source`"),
      nullable("problem", STRING, "the prompt's `problem`"),
      nullable("reference_answer", STRING, "the prompt's `reference_answer`"),
      nullable("answer_type", STRING, "the prompt's `answer_type`"),
      required("temperature", DOUBLE, "sampling temperature sent"),
      required("top_p", DOUBLE, "nucleus sampling probability sent"),
      required("top_k", INT, "top-k sent; 0 = off"),
      required("max_tokens", INT, "completion budget"),
      nullable("seed", LONG, "per-sample seed derived from (generate seed, prompt id, sample index)"),
      nullable("reasoning", STRING, "text inside `<think>...</think>`"),
      nullable("answer", STRING, "text after `</think>` (contains `\\boxed{}`)"),
      nullable("finish_reason", STRING, "`stop`, `length` or `error`"),
      required("prompt_tokens", INT, "prompt tokens the server reported"),
      required("completion_tokens", INT, "completion tokens the server reported"),
      required("latency_ms", LONG, "request wall time including retries"),
      nullable("error", STRING, "null on success; the reason in `traces/errors/`")));

  /** A judged trace (the filter's {@code accepted/} and {@code rejected/}): the trace's columns, then the verdict's; record {@code Verdict}. */
  public static final Contract VERDICT = TRACE.plus("verdict", List.of(
      required("correct", BOOLEAN, "the extracted answer matched the reference"),
      nullable("extracted", STRING, "the extracted final answer"),
      required("reasons", STRING_LIST, "rejection reason codes; empty = accepted"),
      required("accepted", BOOLEAN, "`reasons` is empty")));

  /** The SFT-ready view of accepted traces (the filter's {@code sft/}); record {@code SftExample}. */
  public static final Contract SFT = new Contract("sft_example", List.of(
      required("prompt_id", STRING, "the trace's prompt id"),
      required("sample_index", INT, "the trace's sample index"),
      nullable("source", STRING, "the prompt's source"),
      required("prompt", STRING, "the user turn as the teacher saw it (problem + template)"),
      nullable("reasoning", STRING, "the completion's reasoning (only with `filter.sft-format = all`)"),
      nullable("answer", STRING, "the completion's answer (only with `filter.sft-format = all`)"),
      required("completion", STRING, "`<think>\\n{reasoning}\\n</think>\\n\\n{answer}`"),
      required("messages", MESSAGE_LIST,
          "`[user: prompt, assistant: completion]` (empty unless `filter.sft-format` is `messages` or `all`)")));

  /** One evaluated sample (the {@code eval/<model>/<benchmark>/} folders); record {@code EvalSample}. */
  public static final Contract EVAL_SAMPLE = new Contract("eval_sample", List.of(
      required("model", STRING, "evaluated model name (teacher, student, ...)"),
      required("benchmark", STRING, "benchmark name"),
      required("problem_id", STRING, "problem id"),
      required("sample_index", INT, "0..k-1"),
      nullable("response", STRING, "full model output"),
      nullable("extracted", STRING, "extracted final answer"),
      required("correct", BOOLEAN, "matched the reference"),
      required("completion_tokens", INT, "tokens generated"),
      nullable("finish_reason", STRING, "`stop`, `length`, `error`"),
      nullable("reference", STRING, "gold answer")));

  /** Every contract, in the order docs/data-contracts.md lists them. */
  public static final List<Contract> ALL = List.of(PROMPT, TRACE, VERDICT, SFT, EVAL_SAMPLE);
}
