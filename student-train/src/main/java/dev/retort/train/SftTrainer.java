package dev.retort.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.io.Json;
import dev.retort.core.run.Provenance;
import dev.retort.core.run.StageOutput;
import dev.retort.model.Checkpoint;
import dev.retort.model.ModelConfig;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervised fine-tuning of a dense student on SFT Parquet, on DJL's PyTorch engine in fp32.
 *
 * <p>Design choices:
 *
 * <ol>
 *   <li>Correct by construction: prompt and completion are encoded separately ({@link SftEncoder}),
 *       so the loss covers exactly the assistant tokens; packed samples get their own segment ids
 *       and positions, and the model's mask keeps them apart ({@link PackedBatch}); the loss is
 *       normalized by the completion tokens of the whole step, so accumulation and device splits
 *       give the same gradient as one big batch.
 *   <li>Checks before work: an empty dataset, a sample longer than seq-len, seq-len beyond the
 *       model's context, a checkpoint without tokenizer: all fail before the first step.
 *   <li>Resume is exact: the data order of each step is a function of (seed, epoch, step), the
 *       checkpoint holds fp32 weights, AdamW moments and listener state, and the same code path
 *       runs the same ops after a resume, so a killed-and-resumed run reaches the same weights.
 *   <li>Everything on the device: parameters and moments never cross into Java during training;
 *       per step only the packed ids go in and a few scalars (loss, grad norm) come out; every
 *       intermediate lives in a per-micro-batch NDManager that is closed right after.
 *   <li>The loop, checkpoints and resume are {@link TrainLoop}'s (the GRPO trainer's too); this
 *       class is the SFT step ({@link Steps}). Cross-cutting work is listeners ({@link ProgressBar},
 *       {@link MetricsJsonl}, {@link CheckpointEvery}, {@link EarlyStopping}, {@link Snapshots}, and
 *       the caller's).
 * </ol>
 */
public final class SftTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(SftTrainer.class);
  public static final String STAGE = "student-train";
  /** Token caches are {@code .tokens-<fingerprint>.arrow} in the output folder (see {@link #tokenCache}). */
  static final String TOKEN_CACHE_PREFIX = ".tokens-";

  private SftTrainer() {}

  /**
   * Trains and writes a Hugging Face checkpoint into {@code outDir} with provenance.json,
   * stats.json, metrics.jsonl, loss.png, lr.png and _SUCCESS. Returns the cached result when
   * {@code outDir} is already complete for the same settings and inputs; resumes from
   * {@code outDir/checkpoints} when an earlier run of the same settings was interrupted. With
   * {@code trainer = "trl"} the run is {@link TrlTrainer}'s (TRL where GPUs are visible, else its
   * launch files and a {@link TrlTrainer.NoGpuException}).
   *
   * @param dataDir SFT Parquet folder ({@code settings.data()} overrides it)
   * @param extra listeners called after the built-in ones
   * @throws IllegalArgumentException on bad input, before training starts
   */
  @SafeVarargs
  @SuppressWarnings("varargs") // the array is only read, as a list
  public static TrainResult run(TrainSettings settings, Path dataDir, Path outDir,
      TrainingListener<? super StepMetrics>... extra) {
    return run(settings, dataDir, outDir, Arrays.asList(extra));
  }

  /** As {@link #run(TrainSettings, Path, Path, TrainingListener...)} with a list of listeners. */
  @SuppressWarnings("try") // a resource held for its scope only (the token store)
  public static TrainResult run(TrainSettings settings, Path dataDir, Path outDir,
      List<? extends TrainingListener<? super StepMetrics>> extra) {
    if (settings.trainer() == TrainSettings.Trainer.TRL) {
      if (!extra.isEmpty()) {
        LOG.warn("trainer = trl: {} listener(s) of the in-process trainer are not called", extra.size());
      }
      return TrlTrainer.run(settings, dataDir, outDir);
    }
    Path data = settings.data().orElse(dataDir);
    if (data == null) {
      throw new IllegalArgumentException("no SFT data: pass a data folder or set data in the train section");
    }
    if (!Files.exists(data)) {
      throw new IllegalArgumentException("SFT data folder " + data + " does not exist");
    }
    settings.initFrom().ifPresent(StudentModel::checkCheckpointDir);
    String dataId = SftData.identity(data);
    String initId = settings.initFrom().map(StudentModel::identity).orElse("random-init");
    String runHash = RetortConfig.sha256(settings.weightsHash() + "|" + dataId + "|" + initId);
    TrainResult cached = TrainLoop.cached(outDir, runHash, SftTrainer::readResult);
    if (cached != null) {
      return cached;
    }
    LOG.info("training {} from {} with\n{}", outDir, data, Json.toJson(settings.toMap()));
    TrainLoop.Start start = TrainLoop.prepare(outDir, settings.keepCheckpoints(), runHash);

    int threads = configureThreads(settings.threads());
    List<Device> devices = DeviceSpec.parse(settings.devices()).resolve();
    JniUtils.setGradMode(false); // grad mode is per thread; only the collector turns it on
    long prepStart = System.nanoTime();
    try (Tokenizer tok = StudentModel.tokenizer(settings, outDir);
        NDManager root = NDManager.newBaseManager(devices.get(0))) {
      ModelConfig config = StudentModel.config(settings, tok);
      if (settings.seqLen() > config.maxPositionEmbeddings()) {
        throw new IllegalArgumentException("seq-len " + settings.seqLen() + " is longer than the model's context ("
            + "max_position_embeddings " + config.maxPositionEmbeddings() + ")");
      }
      if (tok.vocabSize() > config.vocabSize()) {
        throw new IllegalArgumentException("the tokenizer has " + tok.vocabSize() + " ids, the model only "
            + config.vocabSize());
      }
      SftEncoder encoder = new SftEncoder(tok, settings.chatTemplate(tok));
      Path cache = tokenCache(outDir, runHash);
      TokenStore store = Files.isRegularFile(cache) ? TokenStore.open(cache)
          : TokenStore.build(data, encoder, settings.seqLen(), cache);
      SftDataset dataset = new SftDataset(store, settings.seqLen(), settings.batchSize(), settings.gradAccum(),
          settings.seed(), settings.epochs(), settings.batching());
      long planned = dataset.totalSteps();
      long total = settings.maxSteps() > 0 ? Math.min(settings.maxSteps(), planned) : planned;
      LOG.info("data: {} samples, {} tokens ({} trained on); epoch 1: {} {} rows of mean length {} ({}% padding); "
              + "{} steps ({} planned for {} epochs)", store.size(), store.totalTokens(), store.lossTokens(),
          dataset.rows(0).size(), settings.batching().name().toLowerCase(java.util.Locale.ROOT),
          Math.round(dataset.meanRowLength(0)), Math.round(dataset.paddingFraction(0) * 1000) / 10.0, total,
          planned, settings.epochs());

      Transformer model = StudentModel.create(settings, config, root);
      config = model.config();
      try (TokenStore tokens = store;
          DataParallel dp = new DataParallel(model, devices, root);
          AdamW opt = new AdamW(model.weights(), settings.beta1(), settings.beta2(), settings.eps(),
              settings.weightDecay(), AdamW::matricesOnly)) {
        ModelConfig saved = config;
        TrainLoop<StepMetrics> loop = new TrainLoop<>(outDir, dp.master(), opt, start, runHash, total,
            TrainLoop.listeners(outDir, settings.checkpointEvery(), earlyStop(settings), settings.snapshots(), 0,
                ProgressBar.auto(settings.logEvery()), extra),
            dir -> Checkpoint.save(model, saved, dir, saveDtype(settings), tok, StudentModel.source(settings)));
        Steps steps = new Steps(settings, dataset, dp, opt, loop);
        loop.steps(steps);
        if (start.resumeFrom().isPresent()) {
          loop.restore(start.resumeFrom().get());
        }
        LOG.info("model: {} parameters ({}), {} on {} with {} threads; data prepared in {} s", model.numParameters(),
            // Where the weights came from: a resumed run's are the checkpoint's, whatever the init.
            start.resumeFrom().map(c -> "weights of " + c.getFileName())
                .orElse(settings.initFrom().map(p -> "from " + p).orElse("random init")), config.modelType(), devices, threads,
            String.format("%.1f", (System.nanoTime() - prepStart) / 1e9));
        loop.train();
        TrainResult result = new TrainResult(steps.meanRecent(), loop.step(), steps.tokens, loop.elapsed(),
            dp.master().numParameters(), steps.flops());
        save(settings, model, config, tok, outDir, result, runHash, data, dataId, initId, loop, steps, store);
        loop.end(result);
        Files.deleteIfExists(cache);
        Files.deleteIfExists(outDir.resolve(StudentModel.SCRATCH_TOKENIZER));
        return result;
      } finally {
        model.manager().close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /**
   * The token cache of a run: named by the run's hash (settings, data and init checkpoint, which
   * fix the tokenization), so an interrupted run reuses it on resume and any change makes a new
   * file; caches of other hashes in the folder are deleted here.
   */
  static Path tokenCache(Path outDir, String runHash) {
    Path cache = outDir.resolve(TOKEN_CACHE_PREFIX + runHash.substring(0, 16) + ".arrow");
    try (Stream<Path> files = Files.list(outDir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith(TOKEN_CACHE_PREFIX)
          && !f.equals(cache)).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + outDir + ": " + e.getMessage(), e);
    }
    return cache;
  }

  /** The early-stop listener of the settings, or null when {@code early-stop.patience} is 0. */
  private static EarlyStopping earlyStop(TrainSettings s) {
    return s.earlyStop().patience() > 0
        ? new EarlyStopping(s.earlyStop().patience(), s.earlyStop().minDelta(), s.logEvery()) : null;
  }

  /**
   * The optimizer steps {@link #run} will take on this data with these settings (epochs of
   * batches, capped by max-steps), without training: lets a caller give another run the same
   * budget before this one has finished (the pipeline's unfiltered ablation, run alongside).
   */
  public static long plannedSteps(TrainSettings settings, Path data) {
    Path scratch;
    try {
      scratch = Files.createTempDirectory("retort-plan");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (Tokenizer tok = StudentModel.tokenizer(settings, scratch);
        TokenStore store = TokenStore.build(data, new SftEncoder(tok, settings.chatTemplate(tok)), settings.seqLen(),
            scratch.resolve(TOKEN_CACHE_PREFIX + "plan.arrow"))) {
      long planned = new SftDataset(store, settings.seqLen(), settings.batchSize(), settings.gradAccum(),
          settings.seed(), settings.epochs(), settings.batching()).totalSteps();
      return settings.maxSteps() > 0 ? Math.min(settings.maxSteps(), planned) : planned;
    } finally {
      try (Stream<Path> files = Files.walk(scratch)) {
        for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      } catch (IOException e) {
        LOG.debug("could not delete {}: {}", scratch, e.toString());
      }
    }
  }

  /** Sets PyTorch's intra-op threads (0: all cores) and a passive OpenMP wait policy; see {@link TorchThreads}. */
  public static int configureThreads(int threads) {
    return TorchThreads.configure(threads);
  }

  /** SFT's step for {@link TrainLoop}: a batch of packed rows, forward, backward, one AdamW update. */
  static final class Steps implements TrainLoop.Steps<StepMetrics> {
    final TrainSettings s;
    final SftDataset data;
    final DataParallel dp;
    final AdamW opt;
    final TrainLoop<StepMetrics> loop;
    final LrSchedule schedule;
    final Deque<Double> recent = new ArrayDeque<>();
    long skipped;
    long tokens;
    long sessionTokens;
    int epochEnded = -1;

    Steps(TrainSettings s, SftDataset data, DataParallel dp, AdamW opt, TrainLoop<StepMetrics> loop) {
      this.s = s;
      this.data = data;
      this.dp = dp;
      this.opt = opt;
      this.loop = loop;
      this.schedule = LrSchedule.warmupCosine(s.lr(), s.minLrRatio(), s.warmupSteps(), loop.total());
    }

    @Override
    public void restore(TrainState st) {
      dp.broadcast();
      tokens = st.tokens();
      recent.addAll(st.recentLosses());
      skipped = ((Number) st.extra().getOrDefault("skipped_steps", 0)).longValue();
    }

    @Override
    public TrainLoop.Counters counters() {
      return new TrainLoop.Counters(tokens, new ArrayList<>(recent), Map.of("skipped_steps", skipped));
    }

    @Override
    public int epochEnded() {
      return epochEnded;
    }

    @Override
    @SuppressWarnings("try") // a resource held for its scope only (a gradient recording)
    public StepMetrics run(long done) {
      int[] pos = data.position(done);
      int epoch = pos[0];
      List<SftDataset.MicroBatch> micro = data.step(epoch, pos[1]);
      long lossTokens = 0;
      for (SftDataset.MicroBatch mb : micro) {
        lossTokens += PackedBatch.lossTokens(data.samples(), mb.rows());
      }
      double loss = 0;
      long stepTokens = 0;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        for (SftDataset.MicroBatch mb : micro) {
          List<List<int[]>> parts = dp.split(mb.rows());
          for (int r = 0; r < parts.size(); r++) {
            if (parts.get(r).isEmpty()) {
              continue;
            }
            PackedBatch b = PackedBatch.of(data.samples(), parts.get(r), mb.length());
            stepTokens += b.realTokens();
            try (NDManager m = dp.replica(r).manager().newSubManager()) {
              loss += SftLoss.lossAndBackward(dp.replica(r), b, m, Math.max(1, lossTokens), s.lossChunk(),
                  s.recompute());
            }
          }
        }
      }
      dp.reduceGradients();
      double norm;
      try (NDManager m = dp.master().manager().newSubManager()) {
        norm = GradClip.globalNorm(opt.gradients(m).values());
      }
      double lr = schedule.lr(done);
      long step = done + 1;
      if (Double.isFinite(norm)) {
        opt.step(lr, GradClip.scale(norm, s.clipNorm()));
        dp.broadcast();
      } else {
        // One bad batch must not poison the weights and moments (a NaN would spread to all of
        // them): skip the update, as loss scalers do, and keep going on the next batch.
        opt.zeroGradients();
        skipped++;
        LOG.warn("step {}: gradient norm is {}, update skipped ({} so far)", step, norm, skipped);
      }
      tokens += stepTokens;
      sessionTokens += stepTokens;
      recent.addLast(loss);
      while (recent.size() > s.logEvery()) {
        recent.removeFirst();
      }
      if (!Double.isFinite(loss)) {
        throw new IllegalStateException("loss is " + loss + " at step " + step + " (lr " + lr
            + "); lower lr or check the data; the last checkpoint is " + loop.lastCheckpoint());
      }
      epochEnded = pos[1] == data.stepsInEpoch(epoch) - 1 ? epoch : -1;
      double session = loop.sessionSeconds();
      return new StepMetrics(step, epoch, loss, lr, norm, tokens, stepTokens,
          session > 0 ? sessionTokens / session : 0, loop.elapsed(), loop.total(), flops());
    }

    /**
     * Training FLOPs so far. Attention is counted at the span the model actually attends over:
     * seq-len when packed, the mean padded sample length when grouped.
     */
    double flops() {
      return dp.master().config().trainingFlopsPerToken((int) Math.round(data.meanRowLength(0))) * tokens;
    }

    double meanRecent() {
      return recent.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
  }

  /** The dtype of saved weights; null (auto) means the source checkpoint's, float32 for a random init. */
  private static DataType saveDtype(TrainSettings s) {
    return switch (s.saveDtype()) {
      case "bfloat16" -> DataType.BFLOAT16;
      case "float32" -> DataType.FLOAT32;
      default -> null;
    };
  }

  /**
   * Marks a trained model folder complete, as every trainer does (in-process and TRL): provenance
   * (the data, the initial weights, the settings) and {@code stats}, then {@code _SUCCESS}.
   */
  static void completeModel(Path outDir, TrainSettings s, String runHash, Path data, String dataId, String initId,
      Map<String, Object> stats) {
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("data", dataId);
    inputs.put("init-from", initId);
    Map<String, String> models = new LinkedHashMap<>();
    models.put("student", outDir.getFileName().toString());
    models.put("init", s.initFrom().map(Path::toString).orElse("random-init"));
    Map<String, Object> cfg = new LinkedHashMap<>(s.toMap());
    cfg.put("data", data.toString());
    StageOutput.complete(outDir, Provenance.of(STAGE, runHash, cfg, s.seed(), inputs, models), stats);
  }

  private static void save(TrainSettings s, Transformer model, ModelConfig config, Tokenizer tok, Path outDir,
      TrainResult result, String runHash, Path data, String dataId, String initId, TrainLoop<StepMetrics> loop,
      Steps steps, TokenStore store) throws IOException {
    TrainLoop.publish(outDir, dir -> Checkpoint.save(model, config, dir, saveDtype(s), tok, StudentModel.source(s)));
    TrainingCurves.write(outDir.resolve(MetricsJsonl.FILE), outDir, outDir.getFileName().toString());

    Map<String, Object> stats = result.stats(TrainSettings.Trainer.DJL);
    stats.put("planned_steps", loop.total());
    stats.put("stop_reason", loop.stopReason());
    stats.put("skipped_steps", steps.skipped);
    stats.put("samples", store.size());
    stats.put("sample_tokens", store.totalTokens());
    stats.put("completion_tokens", store.lossTokens());
    stats.put("padding_fraction", steps.data.paddingFraction(0));
    stats.put("mean_row_length", steps.data.meanRowLength(0));
    stats.put("devices", steps.dp.devices().stream().map(Object::toString).toList());
    completeModel(outDir, s, runHash, data, dataId, initId, stats);
    LOG.info("{}: {} steps, {} tokens in {} s ({} tokens/s), final loss {}", outDir, result.steps(), result.tokens(),
        String.format("%.1f", result.wallSeconds()), Math.round(result.tokensPerSecond()),
        String.format("%.4f", result.finalLoss()));
  }

  /** The result recorded in a complete output folder's stats.json, or null. */
  public static TrainResult readResult(Path outDir) {
    Path f = outDir.resolve(StageOutput.STATS);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    JsonNode n = Json.read(f);
    return new TrainResult(n.path("final_loss").asDouble(Double.NaN), n.path("steps").asLong(), n.path("tokens").asLong(),
        n.path("wall_seconds").asDouble(), n.path("parameter_count").asLong(), n.path("flops").asDouble());
  }
}
