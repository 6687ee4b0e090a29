package dev.retort.train;

import static dev.retort.train.Sections.check;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.io.Json;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One training run's settings, bound strictly from any config section ({@code train} by default;
 * the pipeline binds {@code train-student}, {@code train-teacher}, ... to the same record).
 * Defaults live in student-train's {@code retort-defaults.conf} under {@code train} and are
 * applied under whatever section is bound ({@link Sections#bind}).
 *
 * @param method which trainer {@code retort train} runs: {@link Method#SFT} with everything below,
 *     or {@link Method#GRPO}, whose settings are a {@code GrpoSettings} section of their own (the
 *     other keys here then do not apply)
 * @param initFrom a Hugging Face checkpoint folder to fine-tune; when present {@code model} is ignored
 * @param model the architecture of a randomly initialized student
 * @param data an SFT Parquet folder overriding the caller's
 * @param epochs passes over the data
 * @param maxSteps optimizer steps at most (0: epochs decide)
 * @param batchSize rows per micro-batch when packed; with grouped batching, micro-batches hold at most
 *     batch-size x seq-len tokens (split across devices either way)
 * @param seqLen tokens per packed row; also the longest sample allowed
 * @param batching "packed" (several samples per row, segment ids) or "grouped" (one sample per row,
 *     similar lengths per micro-batch, padded to the longest)
 * @param gradAccum micro-batches per optimizer step
 * @param lr peak learning rate
 * @param minLrRatio the cosine decay's floor as a fraction of {@code lr}
 * @param warmupSteps linear warmup steps
 * @param weightDecay decoupled weight decay of matrices (none on norms and biases)
 * @param clipNorm global gradient-norm limit (0: off)
 * @param seed seeds random init and the per-epoch data order
 * @param checkpointEvery steps between resumable checkpoints (0: only at the end)
 * @param keepCheckpoints resumable checkpoints kept (older ones are deleted)
 * @param snapshots fractions of the planned steps at which the weights are also saved as Hugging Face
 *     folders under {@code <out>/snapshots/} (empty: none; see {@link Snapshots})
 * @param earlyStop loss-plateau stop (patience 0: off)
 * @param logEvery steps between metric lines
 * @param threads PyTorch intra-op threads (0: all cores)
 * @param devices "auto", "cpu", "gpu:0,1" or "cpu:N"
 * @param saveDtype dtype of the saved weights: "auto" (init-from's dtype, float32 for a random
 *     init), "float32" or "bfloat16"
 * @param chatTemplate a Jinja chat template for a tokenizer that has none (empty: the checkpoint's
 *     own template, or Retort's ChatML for tokenizers with ChatML tokens); saved with the model
 * @param trainer who runs SFT: {@link Trainer#DJL} (in process, {@code SftTrainer}) or
 *     {@link Trainer#TRL} (TRL's SFTTrainer through {@code TrlHandoff}, on the visible GPUs, or on the CPU with devices = cpu)
 * @param lossChunk positions per span of the chunked cross-entropy (the [B,T,V] logits never exist
 *     at once; see {@code SftLoss.lossAndBackward}); 0: the whole row at once
 * @param recompute keep only each layer's input from the forward pass and run the layers again
 *     in the backward pass (activation checkpointing): a third more compute for the memory of all
 *     layers' activations but one
 */
public record TrainSettings(
    Method method,
    Optional<Path> initFrom,
    ModelSpec model,
    Optional<Path> data,
    int epochs,
    int maxSteps,
    int batchSize,
    int seqLen,
    SftDataset.Batching batching,
    int gradAccum,
    double lr,
    double minLrRatio,
    int warmupSteps,
    double weightDecay,
    double beta1,
    double beta2,
    double eps,
    double clipNorm,
    long seed,
    int checkpointEvery,
    int keepCheckpoints,
    List<Double> snapshots,
    EarlyStop earlyStop,
    int logEvery,
    int threads,
    String devices,
    String saveDtype,
    String chatTemplate,
    Trainer trainer,
    int lossChunk,
    boolean recompute) {

  public static final String SECTION = "train";

  /**
   * Keys that change how a run is observed or stored, not the weights it produces ("data" is a
   * path: the trainer hashes the data's content instead).
   */
  static final Set<String> NOT_HASHED = Set.of("checkpoint-every", "keep-checkpoints", "snapshots", "log-every", "threads", "data", "method",
      "trainer", "loss-chunk", "recompute");
  // "method" too: SFT weights are only ever made with method = sft, so the key tells no two SFT
  // runs apart, and leaving it out keeps checkpoints made before the key existed resumable.
  // "trainer": only the in-process trainer hashes its settings (TRL's output is a finished model);
  // "loss-chunk" and "recompute" change float rounding only, not the computation.

  /** Who runs an SFT training. */
  public enum Trainer {
    /** In process on DJL ({@code SftTrainer}). */
    DJL,
    /** TRL's SFTTrainer with accelerate (the files {@code TrlHandoff} writes), on the visible GPUs, or in one CPU process with {@code devices = cpu}. */
    TRL
  }

  /** The trainer of a run. */
  public enum Method {
    /** Supervised fine-tuning on SFT rows ({@code SftTrainer}). */
    SFT,
    /** GRPO with verifier rewards on prompts ({@code dev.retort.train.grpo.GrpoTrainer}). */
    GRPO
  }

  /**
   * Architecture of a randomly initialized model (Hugging Face config.json names in kebab case).
   *
   * @param vocab "char" (the project's character tokenizer) or a path to a tokenizer.json or its folder
   */
  public record ModelSpec(String modelType, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
      int intermediateSize, int maxPositionEmbeddings, double ropeTheta, boolean tieWordEmbeddings,
      String vocab) {}

  /**
   * @param patience log windows without improvement before stopping (0: off)
   * @param minDelta improvement of the window-mean loss that counts
   */
  public record EarlyStop(int patience, double minDelta) {}

  public TrainSettings {
    check(epochs >= 1, "epochs", "must be at least 1, got " + epochs);
    check(maxSteps >= 0, "max-steps", "must be 0 (no limit) or positive, got " + maxSteps);
    check(batchSize >= 1, "batch-size", "must be at least 1, got " + batchSize);
    check(seqLen >= 2, "seq-len", "must be at least 2, got " + seqLen);
    check(gradAccum >= 1, "grad-accum", "must be at least 1, got " + gradAccum);
    check(lr > 0, "lr", "must be positive, got " + lr);
    check(minLrRatio >= 0 && minLrRatio <= 1, "min-lr-ratio", "must be in [0, 1], got " + minLrRatio);
    check(warmupSteps >= 0, "warmup-steps", "must be >= 0, got " + warmupSteps);
    check(weightDecay >= 0, "weight-decay", "must be >= 0, got " + weightDecay);
    check(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1), got " + beta1);
    check(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1), got " + beta2);
    check(eps > 0, "eps", "must be positive, got " + eps);
    check(clipNorm >= 0, "clip-norm", "must be >= 0 (0: off), got " + clipNorm);
    snapshots = TrainLoop.checkLoopSettings(checkpointEvery, keepCheckpoints, snapshots, "the planned steps", logEvery);
    check(lossChunk >= 0, "loss-chunk", "must be >= 0 (0: no chunking), got " + lossChunk);
    check(threads >= 0, "threads", "must be >= 0 (0: all cores), got " + threads);
    check(earlyStop.patience() >= 0, "early-stop.patience", "must be >= 0, got " + earlyStop.patience());
    check(earlyStop.minDelta() >= 0, "early-stop.min-delta", "must be >= 0, got " + earlyStop.minDelta());
    String dt = saveDtype.toLowerCase(Locale.ROOT);
    check(dt.equals("auto") || dt.equals("float32") || dt.equals("bfloat16"), "save-dtype",
        "must be auto, float32 or bfloat16, got '" + saveDtype + "'");
    saveDtype = dt;
    DeviceSpec.parse(devices); // fails naming the key on a bad value
    if (initFrom.isEmpty()) {
      ModelSpec m = model;
      String type = m.modelType().toLowerCase(Locale.ROOT);
      check(dev.retort.model.ModelConfig.SUPPORTED_TYPES.contains(type), "model.model-type",
          "must be one of " + dev.retort.model.ModelConfig.SUPPORTED_TYPES + ", got '" + m.modelType() + "'");
      check(m.hiddenSize() > 0 && m.numLayers() > 0 && m.intermediateSize() > 0, "model",
          "hidden-size, num-layers and intermediate-size must be positive");
      check(m.numHeads() > 0 && m.hiddenSize() % m.numHeads() == 0, "model.num-heads",
          "must divide hidden-size " + m.hiddenSize() + ", got " + m.numHeads());
      check(m.numKvHeads() > 0 && m.numHeads() % m.numKvHeads() == 0, "model.num-kv-heads",
          "must divide num-heads " + m.numHeads() + ", got " + m.numKvHeads());
      check((m.hiddenSize() / m.numHeads()) % 2 == 0, "model.num-heads", "head size hidden-size/num-heads must be even (RoPE)");
      check(seqLen <= m.maxPositionEmbeddings(), "seq-len",
          "is " + seqLen + ", longer than model.max-position-embeddings " + m.maxPositionEmbeddings());
      check(m.vocab() != null && !m.vocab().isBlank(), "model.vocab", "must be \"char\" or a tokenizer.json path");
    }
  }

  /** Binds the {@code train} section. */
  public static TrainSettings from(RetortConfig config) {
    return from(config, SECTION);
  }

  /**
   * Binds any section with this shape (e.g. {@code train-student}) over the {@code train} section
   * of the modules' {@code retort-defaults.conf}, as {@code GrpoSettings} binds over its own
   * defaults ({@link Sections#bind}).
   */
  public static TrainSettings from(RetortConfig config, String path) {
    return Sections.bind(config, path, TrainSettings.class, RetortConfig.DEFAULTS_RESOURCE, SECTION);
  }

  /** The defaults plus {@code overrides} ("key=value" under {@code train}); handy in tests and benchmarks. */
  public static TrainSettings defaults(String... overrides) {
    return from(RetortConfig.defaults(Sections.under(SECTION, overrides)));
  }

  public TrainSettings withDataOverride(Path dataDir) {
    return new TrainSettings(method, initFrom, model, Optional.ofNullable(dataDir), epochs, maxSteps, batchSize, seqLen,
        batching, gradAccum, lr, minLrRatio, warmupSteps, weightDecay, beta1, beta2, eps, clipNorm, seed, checkpointEvery,
        keepCheckpoints, snapshots, earlyStop, logEvery, threads, devices, saveDtype, chatTemplate, trainer, lossChunk, recompute);
  }

  /** The chat template this run trains with, which the saved model then carries. */
  public dev.retort.model.ChatTemplate chatTemplate(dev.retort.model.Tokenizer tok) {
    return tok.chatTemplate(chatTemplate, SECTION + ".chat-template");
  }

  /** Tokens of one optimizer step at most: batch-size x seq-len x grad-accum. */
  public long tokensPerStep() {
    return (long) batchSize * seqLen * gradAccum;
  }

  /** Kebab-case map of every setting (the resolved config stored in provenance and state files). */
  public Map<String, Object> toMap() {
    return Sections.toMap(this);
  }

  /** Hash of the settings that determine the weights (not logging, threads or checkpoint cadence). */
  public String weightsHash() {
    Map<String, Object> m = new LinkedHashMap<>(toMap());
    NOT_HASHED.forEach(m::remove);
    if (initFrom.isPresent()) {
      m.remove("model"); // ignored when fine-tuning
    }
    return RetortConfig.sha256(Json.toJson(m));
  }
}
