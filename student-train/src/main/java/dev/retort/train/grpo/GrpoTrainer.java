package dev.retort.train.grpo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.Hashing;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Prompt;
import dev.retort.core.io.Json;
import dev.retort.core.run.Provenance;
import dev.retort.core.run.StageOutput;
import dev.retort.model.ChatTemplate;
import dev.retort.model.Checkpoint;
import dev.retort.model.Generation;
import dev.retort.model.LoadedModel;
import dev.retort.model.ModelConfig;
import dev.retort.model.Sampler;
import dev.retort.model.SamplingOptions;
import dev.retort.model.SourceCheckpoint;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import dev.retort.train.AdamW;
import dev.retort.train.GradClip;
import dev.retort.train.LrSchedule;
import dev.retort.train.MetricsJsonl;
import dev.retort.train.Packing;
import dev.retort.train.ProgressBar;
import dev.retort.train.SftTrainer;
import dev.retort.train.StudentModel;
import dev.retort.train.TrainLoop;
import dev.retort.train.TrainState;
import dev.retort.train.TrainingCurves;
import dev.retort.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GRPO (DeepSeekMath, Shao et al. 2024) of a student with verifier rewards: the RL arm of the
 * distilled-versus-RL comparison. Each step samples a group of completions per prompt from the
 * current policy, scores them with the filter's verifiers, turns rewards into group-relative
 * advantages ({@link Advantages}) and takes {@code updates-per-batch} clipped policy-gradient
 * updates ({@link GrpoObjective}).
 *
 * <p>Design choices:
 *
 * <ol>
 *   <li>Sampling is the model module's KV-cache {@link Sampler}, one batch of prompts x G rows per
 *       step; log-probabilities of all sampled sequences come from batched, right-padded forwards
 *       in micro-batches sorted by length (little padding), each in its own NDManager.
 *   <li>Completions whose advantage is exactly 0 (their whole group scored alike) contribute no
 *       gradient when there is no KL term, so they are not run through forward/backward at all.
 *       The loss normalization still counts them, so the gradient is the one of the full batch.
 *   <li>With one update per batch the old policy is the current one: its log-probabilities are the
 *       current ones with the gradient stopped, and no extra forward is spent. With more, the
 *       first update's log-probabilities (detached) serve as the old ones for the later updates.
 *   <li>Deterministic and exactly resumable: the prompts of step k and each row's sampling seed
 *       are functions of (seed, k), and checkpoints hold fp32 weights, AdamW moments and the
 *       counters, so a killed and resumed run reaches the weights of an uninterrupted one.
 *   <li>Compute is counted with ModelConfig's accounting: 2N (plus attention) per prompt and
 *       generated token of sampling and per token of the reference forward, 6N per token trained
 *       per update. {@code budget-flops} stops the run at a FLOP budget (e.g. the SFT arm's).
 *   <li>The loop, checkpoints and resume are {@link TrainLoop}'s, as for SFT; this class is the
 *       GRPO step ({@link Steps}). Progress, metrics, checkpoint cadence, snapshots and the budget
 *       are the shared {@link TrainingListener}s.
 * </ol>
 */
public final class GrpoTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(GrpoTrainer.class);
  /** The stage name in provenance (the SFT trainer's, with method grpo in the config). */
  public static final String STAGE = "student-train";
  public static final String METHOD = "grpo";

  private GrpoTrainer() {}

  /**
   * Trains with the verifier reward ({@link VerifierReward} with {@code format-reward}) and writes
   * a Hugging Face checkpoint into {@code outDir} with provenance.json, stats.json, metrics.jsonl,
   * loss.png, lr.png, reward.png and _SUCCESS. Returns the recorded result when {@code outDir} is
   * already complete for the same settings, prompts and starting model; resumes from
   * {@code outDir/checkpoints} when an earlier run of the same was interrupted.
   *
   * @param prompts training prompts; those without a reference answer are skipped
   * @param extra listeners called after the built-in ones
   * @throws IllegalArgumentException on bad input, before training starts
   */
  @SafeVarargs
  @SuppressWarnings("varargs") // the array is only read, as a list
  public static GrpoResult run(GrpoSettings settings, List<Prompt> prompts, Path outDir,
      TrainingListener<? super GrpoStepMetrics>... extra) {
    return run(settings, prompts, outDir, Arrays.asList(extra));
  }

  /** As {@link #run(GrpoSettings, List, Path, TrainingListener...)} with a list of listeners. */
  public static GrpoResult run(GrpoSettings settings, List<Prompt> prompts, Path outDir,
      List<? extends TrainingListener<? super GrpoStepMetrics>> extra) {
    return run(settings, prompts, outDir, new VerifierReward(settings.formatReward()),
        "verifier(format=" + settings.formatReward() + ")", extra);
  }

  /**
   * As {@link #run(GrpoSettings, List, Path, TrainingListener...)} with another reward.
   *
   * @param rewardId a stable name of the reward, part of the run's identity (a changed reward
   *     must not resume or reuse a run of the old one)
   */
  public static GrpoResult run(GrpoSettings s, List<Prompt> prompts, Path outDir, RewardFunction reward,
      String rewardId, List<? extends TrainingListener<? super GrpoStepMetrics>> extra) {
    List<Prompt> usable = prompts.stream()
        .filter(p -> p.referenceAnswer() != null && !p.referenceAnswer().isBlank()).toList();
    if (usable.isEmpty()) {
      throw new IllegalArgumentException("none of the " + prompts.size() + " prompts has a reference answer to reward");
    }
    if (usable.size() < prompts.size()) {
      LOG.info("{} of {} prompts have no reference answer and are skipped", prompts.size() - usable.size(), prompts.size());
    }
    StudentModel.checkCheckpointDir(s.initFrom());
    String promptsId = promptsIdentity(usable);
    String initId = StudentModel.identity(s.initFrom());
    String runHash = RetortConfig.sha256(METHOD + "|" + s.weightsHash() + "|" + promptsId + "|" + initId + "|" + rewardId);
    GrpoResult cached = TrainLoop.cached(outDir, runHash, GrpoTrainer::readResult);
    if (cached != null) {
      return cached;
    }
    LOG.info("GRPO {} from {} on {} prompts with\n{}", outDir, s.initFrom(), usable.size(), Json.toJson(s.toMap()));
    TrainLoop.Start start = TrainLoop.prepare(outDir, s.keepCheckpoints(), runHash);

    int threads = SftTrainer.configureThreads(s.threads());
    JniUtils.setGradMode(false); // grad mode is per thread; only the collector turns it on
    long prepStart = System.nanoTime();
    try (NDManager root = NDManager.newBaseManager();
        LoadedModel policy = Checkpoint.load(s.initFrom(), root);
        LoadedModel reference = s.klCoef() > 0 ? Checkpoint.load(s.initFrom(), root) : null) {
      Tokenizer tok = policy.tokenizer();
      List<Integer> stops = stopIds(policy);
      List<int[]> promptIds = encodePrompts(s, usable, tok, policy.config());
      Transformer model = policy.model();
      try (AdamW opt = new AdamW(model.weights(), 0.9, 0.999, 1e-8, s.weightDecay(), AdamW::matricesOnly)) {
        TrainLoop<GrpoStepMetrics> loop = new TrainLoop<>(outDir, model, opt, start, runHash, s.steps(),
            TrainLoop.listeners(outDir, s.checkpointEvery(), s.budgetFlops().map(FlopBudget::new).orElse(null),
                s.snapshots(), s.budgetFlops().orElse(0.0), ProgressBar.lines(s.logEvery()), extra),
            dir -> Checkpoint.save(model, policy.config(), dir, null, tok, policy.source()));
        Steps steps = new Steps(s, usable, promptIds, model, reference == null ? null : reference.model(),
            new Sampler(model, tok), stops, reward, opt, loop);
        loop.steps(steps);
        if (start.resumeFrom().isPresent()) {
          loop.restore(start.resumeFrom().get());
        }
        LOG.info("policy: {} parameters ({}), reference: {}, {} threads; prepared in {} s", model.numParameters(),
            policy.config().modelType(), reference == null ? "none (kl-coef 0)" : "frozen copy of init-from", threads,
            String.format("%.1f", (System.nanoTime() - prepStart) / 1e9));
        loop.train();
        GrpoResult result = steps.result(loop.step(), loop.elapsed());
        save(s, model, policy.config(), policy.source(), tok, outDir, result, runHash, promptsId, initId, rewardId,
            loop, opt, usable.size());
        loop.end(result);
        return result;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /** Generation stops on the checkpoint's eos ids and its chat template's end of turn. */
  private static List<Integer> stopIds(LoadedModel m) {
    return template(m).stopIds(m.tokenizer(), m.stopTokenIds());
  }

  /** The policy's own chat template (the one its weights were trained on). */
  static ChatTemplate template(LoadedModel m) {
    return m.tokenizer().chatTemplate(null, "a chat_template in the tokenizer_config.json of " + m.dir());
  }

  private static List<int[]> encodePrompts(GrpoSettings s, List<Prompt> prompts, Tokenizer tok, ModelConfig config) {
    List<int[]> out = new ArrayList<>(prompts.size());
    int longest = 0;
    String longestId = null;
    for (Prompt p : prompts) {
      int[] ids = tok.encode(tok.chatTemplate(null, "a chat_template in the policy's tokenizer_config.json").prompt(s.userText(p.problem())));
      if (ids.length > longest) {
        longest = ids.length;
        longestId = p.id();
      }
      out.add(ids);
    }
    if (longest + s.maxNewTokens() > config.maxPositionEmbeddings()) {
      throw new IllegalArgumentException("prompt " + longestId + " has " + longest + " tokens; with max-new-tokens "
          + s.maxNewTokens() + " it exceeds the model's context (max_position_embeddings "
          + config.maxPositionEmbeddings() + ")");
    }
    return out;
  }

  /** A content identity of the prompt list: ids, problems and answers, in order. */
  static String promptsIdentity(List<Prompt> prompts) {
    StringBuilder b = new StringBuilder();
    for (Prompt p : prompts) {
      b.append(p.id()).append('\u0001').append(p.problem()).append('\u0001').append(p.referenceAnswer())
          .append('\u0001').append(p.answerType().code()).append('\u0002');
    }
    return "sha256:" + RetortConfig.sha256(b.toString()).substring(0, 32);
  }


  /** GRPO's step for {@link TrainLoop}: sample groups, score, advantages, updates. */
  static final class Steps implements TrainLoop.Steps<GrpoStepMetrics> {
    final GrpoSettings s;
    final List<Prompt> prompts;
    final List<int[]> promptIds;
    final Transformer model;
    final Transformer reference;
    final Sampler sampler;
    final List<Integer> stops;
    final RewardFunction reward;
    final AdamW opt;
    final TrainLoop<GrpoStepMetrics> loop;
    final LrSchedule schedule;
    final ModelConfig config;
    long tokensSampled;
    long tokensTrained;
    double flops;
    /** Mean reward and accuracy of every step so far (for the first/last windows of the result). */
    final List<Double> rewards = new ArrayList<>();
    final List<Double> accuracies = new ArrayList<>();

    Steps(GrpoSettings s, List<Prompt> prompts, List<int[]> promptIds, Transformer model, Transformer reference,
        Sampler sampler, List<Integer> stops, RewardFunction reward, AdamW opt, TrainLoop<GrpoStepMetrics> loop) {
      this.s = s;
      this.prompts = prompts;
      this.promptIds = promptIds;
      this.model = model;
      this.reference = reference;
      this.sampler = sampler;
      this.stops = stops;
      this.reward = reward;
      this.opt = opt;
      this.loop = loop;
      this.schedule = LrSchedule.warmupCosine(s.lr(), s.minLrRatio(), s.warmupSteps(), s.steps());
      this.config = model.config();
    }

    @Override
    public void restore(TrainState st) {
      tokensTrained = st.tokens();
      Map<String, Object> x = st.extra();
      tokensSampled = ((Number) x.getOrDefault("tokens_sampled", 0)).longValue();
      flops = ((Number) x.getOrDefault("flops", 0.0)).doubleValue();
      rewards.addAll(doubles(x.get("rewards")));
      accuracies.addAll(doubles(x.get("accuracies")));
    }

    @Override
    public TrainLoop.Counters counters() {
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("method", METHOD);
      extra.put("tokens_sampled", tokensSampled);
      extra.put("flops", flops);
      extra.put("rewards", new ArrayList<>(rewards));
      extra.put("accuracies", new ArrayList<>(accuracies));
      return new TrainLoop.Counters(tokensTrained, List.of(), extra);
    }

    private static List<Double> doubles(Object o) {
      List<Double> out = new ArrayList<>();
      if (o instanceof List<?> l) {
        for (Object v : l) {
          out.add(((Number) v).doubleValue());
        }
      }
      return out;
    }

    /**
     * Indices of the prompts of round {@code round} of a step: consecutive slices of a per-epoch
     * shuffle seeded by (seed, epoch). Each step owns sampling-rounds slices, so a step's prompts
     * depend only on (seed, step, round), whatever earlier steps' dynamic sampling used.
     */
    int[] promptsOf(long stepIndex, int round) {
      int n = prompts.size();
      int[] out = new int[s.promptsPerStep()];
      int[] perm = null;
      long epochOfPerm = -1;
      for (int j = 0; j < out.length; j++) {
        long k = (stepIndex * s.samplingRounds() + round) * s.promptsPerStep() + j;
        long epoch = k / n;
        if (epoch != epochOfPerm) {
          perm = Packing.permutation(n, Hashing.mix64(s.seed() * 0x9E3779B97F4A7C15L + epoch));
          epochOfPerm = epoch;
        }
        out[j] = perm[(int) (k % n)];
      }
      return out;
    }

    GrpoResult result(long steps, double wallSeconds) {
      int n = rewards.size();
      int w = Math.max(1, Math.min(s.logEvery(), n / 2));
      return new GrpoResult(steps, mean(rewards, 0, w), mean(rewards, n - w, n), tokensSampled, tokensTrained, flops,
          wallSeconds, mean(accuracies, 0, w), mean(accuracies, n - w, n));
    }

    private static double mean(List<Double> v, int from, int to) {
      if (v.isEmpty()) {
        return Double.NaN;
      }
      double sum = 0;
      for (int i = Math.max(0, from); i < to; i++) {
        sum += v.get(i);
      }
      return sum / (to - Math.max(0, from));
    }

    /** One sampled completion: its prompt, the generation, its reward and advantage. */
    private record Sample(int prompt, Generation gen, double reward, boolean correct, boolean wellFormed, boolean cut) {}

    /**
     * One GRPO step: sample, score, advantages, updates. With dynamic sampling (sampling-rounds
     * above 1), groups whose rewards are all equal are set aside and further rounds of prompts are
     * sampled until prompts-per-step groups carry signal; the batch is those groups.
     */
    @Override
    public GrpoStepMetrics run(long step) {
      long t0 = System.nanoTime();
      int g = s.groupSize();
      boolean dynamic = s.samplingRounds() > 1;
      SamplingOptions opts = new SamplingOptions(s.maxNewTokens(), s.temperature(), s.topP(), 0, s.seed(), stops, List.of());
      List<Sample> all = new ArrayList<>();
      List<Sample> batch = new ArrayList<>();
      List<Double> batchAdv = new ArrayList<>();
      int groupsSampled = 0;
      int zeroGroups = 0;
      double stepFlops = 0;
      for (int round = 0; round < s.samplingRounds() && (!dynamic || batch.size() < s.promptsPerStep() * g); round++) {
        int[] chosen = promptsOf(step, round);
        int rows = chosen.length * g;
        List<int[]> inputs = new ArrayList<>(rows);
        long[] seeds = new long[rows];
        for (int r = 0; r < rows; r++) {
          inputs.add(promptIds.get(chosen[r / g]));
          seeds[r] = Hashing.mix64(Hashing.mix64(s.seed() + 0x632BE59BD9B4E019L * (step + 1)) + r + (long) round * rows);
        }
        List<Generation> gens = sampler.generate(inputs, opts, seeds);
        double[] rewardValues = new double[rows];
        List<Sample> sampled = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
          Generation gen = gens.get(r);
          boolean cut = Generation.LENGTH.equals(gen.finishReason());
          RewardFunction.Score sc = reward.score(prompts.get(chosen[r / g]), gen.text(), cut);
          rewardValues[r] = sc.reward() - s.overlongPenalty(gen.completionTokens());
          sampled.add(new Sample(chosen[r / g], gen, rewardValues[r], sc.correct(), sc.wellFormed(), cut));
          int len = gen.promptTokens() + gen.completionTokens();
          stepFlops += config.flopsPerToken(len) * len;
        }
        all.addAll(sampled);
        double[] adv = Advantages.compute(rewardValues, g, s.variant());
        for (int q = 0; q < chosen.length; q++) {
          boolean zero = true;
          for (int r = q * g; r < (q + 1) * g; r++) {
            zero &= adv[r] == 0;
          }
          groupsSampled++;
          zeroGroups += zero ? 1 : 0;
          if (!dynamic || !zero && batch.size() < s.promptsPerStep() * g) {
            for (int r = q * g; r < (q + 1) * g; r++) {
              batch.add(sampled.get(r));
              batchAdv.add(adv[r]);
            }
          }
        }
      }
      long t1 = System.nanoTime();
      int rows = batch.size();
      int correct = 0;
      int formed = 0;
      int truncated = 0;
      long generated = 0;
      double rewardSum = 0;
      for (Sample x : all) {
        correct += x.correct() ? 1 : 0;
        formed += x.wellFormed() ? 1 : 0;
        truncated += x.cut() ? 1 : 0;
        generated += x.gen().completionTokens();
        rewardSum += x.reward();
      }

      // Completions that carry a gradient, longest first so micro-batches hold similar lengths.
      List<PolicySequence> seqs = new ArrayList<>();
      for (int r = 0; r < rows; r++) {
        double a = batchAdv.get(r);
        if (a == 0 && s.klCoef() == 0) {
          continue;
        }
        Generation gen = batch.get(r).gen();
        int[] p = promptIds.get(batch.get(r).prompt());
        int[] ids = Arrays.copyOf(p, p.length + gen.tokens().length);
        System.arraycopy(gen.tokens(), 0, ids, p.length, gen.tokens().length);
        double norm = s.variant() == GrpoSettings.Variant.GRPO ? gen.completionTokens() : s.maxNewTokens();
        seqs.add(new PolicySequence(ids, p.length, a, 1.0 / ((double) rows * norm)));
      }
      seqs.sort(Comparator.comparingInt((PolicySequence q) -> -q.tokens().length));
      List<SeqBatch> batches = new ArrayList<>();
      for (int i = 0; i < seqs.size(); i += s.microBatch()) {
        batches.add(SeqBatch.of(seqs.subList(i, Math.min(seqs.size(), i + s.microBatch()))));
      }
      for (PolicySequence q : seqs) {
        int len = q.tokens().length;
        stepFlops += (reference != null ? config.flopsPerToken(len) * len : 0)
            + config.trainingFlopsPerToken(len) * len * s.updatesPerBatch();
      }

      double lr = schedule.lr(step);
      Update u = update(batches, lr, step);
      long stepTrained = 0;
      for (SeqBatch b : batches) {
        stepTrained += b.realTokens();
      }
      tokensSampled += generated;
      tokensTrained += stepTrained * s.updatesPerBatch();
      flops += stepFlops;
      int n = all.size();
      double meanReward = rewardSum / n;
      double var = all.stream().mapToDouble(x -> (x.reward() - meanReward) * (x.reward() - meanReward)).sum() / n;
      rewards.add(meanReward);
      accuracies.add((double) correct / n);
      long t2 = System.nanoTime();
      return new GrpoStepMetrics(step + 1, lr, u.loss, u.gradNorm, meanReward, Math.sqrt(var), (double) correct / n,
          (double) formed / n, (double) generated / n, (double) truncated / n, u.kl, u.clipFraction,
          (double) zeroGroups / groupsSampled, seqs.size(), tokensSampled, tokensTrained, flops, (t1 - t0) / 1e9,
          (t2 - t1) / 1e9, loop.elapsed(), s.steps());
    }

    record Update(double loss, double gradNorm, double kl, double clipFraction) {}

    /** The step's optimizer updates on the sampled batch; no update when no completion carries a gradient. */
    @SuppressWarnings("try") // a resource held for its scope only (a gradient recording)
    Update update(List<SeqBatch> batches, double lr, long step) {
      if (batches.isEmpty()) {
        return new Update(0, 0, Double.NaN, 0);
      }
      float[][] refLogp = reference == null ? null : referenceLogprobs(batches);
      float[][] oldLogp = new float[batches.size()][];
      double firstLoss = 0;
      double firstNorm = 0;
      double klSum = 0;
      double klTokens = 0;
      double clipped = 0;
      double tokens = 0;
      for (int u = 0; u < s.updatesPerBatch(); u++) {
        double loss = 0;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          for (int i = 0; i < batches.size(); i++) {
            SeqBatch b = batches.get(i);
            try (NDManager m = model.manager().newSubManager()) {
              GrpoObjective.Totals t = GrpoObjective.lossAndBackward(model, b, m, s.temperature(), u == 0 ? null : oldLogp[i],
                  refLogp == null ? null : refLogp[i], s.clipEps(), s.klCoef(), s.lossChunk());
              if (u == 0 && s.updatesPerBatch() > 1) {
                oldLogp[i] = t.logp();
              }
              loss += t.loss();
              clipped += t.clippedTokens();
              tokens += t.maskedTokens();
              if (u == 0 && !Double.isNaN(t.klSum())) {
                klSum += t.klSum();
                klTokens += t.maskedTokens();
              }
            }
          }
        }
        double norm;
        try (NDManager m = model.manager().newSubManager()) {
          norm = GradClip.globalNorm(opt.gradients(m).values());
        }
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
          throw new IllegalStateException("GRPO loss " + loss + ", gradient norm " + norm + " at step " + (step + 1)
              + " (lr " + lr + "); lower lr; the last checkpoint is " + loop.lastCheckpoint());
        }
        opt.step(lr, GradClip.scale(norm, s.clipNorm()));
        if (u == 0) {
          firstLoss = loss;
          firstNorm = norm;
        }
      }
      return new Update(firstLoss, firstNorm, klTokens > 0 ? klSum / klTokens : Double.NaN,
          tokens > 0 ? clipped / tokens : 0);
    }

    /** The frozen reference's log-probabilities of every batch, without a graph. */
    private float[][] referenceLogprobs(List<SeqBatch> batches) {
      float[][] out = new float[batches.size()][];
      for (int i = 0; i < batches.size(); i++) {
        try (NDManager m = reference.manager().newSubManager()) {
          out[i] = GrpoObjective.logprobValues(reference, batches.get(i), m, s.temperature(), s.lossChunk());
        }
      }
      return out;
    }
  }

  private static void save(GrpoSettings s, Transformer model, ModelConfig config, SourceCheckpoint source,
      Tokenizer tok, Path outDir, GrpoResult result, String runHash, String promptsId, String initId, String rewardId,
      TrainLoop<GrpoStepMetrics> loop, AdamW opt, int promptCount) throws IOException {
    TrainLoop.publish(outDir, dir -> Checkpoint.save(model, config, dir, null, tok, source)); // null: init-from's dtype
    String title = outDir.getFileName().toString();
    TrainingCurves.write(outDir.resolve(MetricsJsonl.FILE), outDir, title);
    GrpoCurves.write(outDir.resolve(MetricsJsonl.FILE), outDir, title);

    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("method", METHOD);
    stats.put("steps", result.steps());
    stats.put("mean_reward_first", result.meanRewardFirst());
    stats.put("mean_reward_last", result.meanRewardLast());
    stats.put("accuracy_first", result.accuracyFirst());
    stats.put("accuracy_last", result.accuracyLast());
    stats.put("tokens_sampled", result.tokensSampled());
    stats.put("tokens_trained", result.tokensTrained());
    stats.put("flops", result.flops());
    stats.put("wall_seconds", result.wallSeconds());
    stats.put("parameter_count", model.numParameters());
    stats.put("planned_steps", s.steps());
    stats.put("optimizer_steps", opt.steps());
    stats.put("stop_reason", loop.stopReason());
    stats.put("budget_flops", s.budgetFlops().orElse(null));
    stats.put("prompts", promptCount);
    stats.put("reward", rewardId);
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("prompts", promptsId);
    inputs.put("init-from", initId);
    Map<String, String> models = new LinkedHashMap<>();
    models.put("student", outDir.getFileName().toString());
    models.put("init", s.initFrom().toString());
    if (s.klCoef() > 0) {
      models.put("reference", s.initFrom().toString());
    }
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("method", METHOD);
    cfg.putAll(s.toMap());
    StageOutput.complete(outDir, Provenance.of(STAGE, runHash, cfg, s.seed(), inputs, models), stats);
    LOG.info("{}: {} GRPO steps in {} s; reward {} -> {}, accuracy {} -> {}; {} tokens sampled, {} trained, {} FLOPs",
        outDir, result.steps(), String.format("%.1f", result.wallSeconds()), fmt(result.meanRewardFirst()),
        fmt(result.meanRewardLast()), fmt(result.accuracyFirst()), fmt(result.accuracyLast()), result.tokensSampled(),
        result.tokensTrained(), String.format("%.3e", result.flops()));
  }

  private static String fmt(double v) {
    return String.format("%.3f", v);
  }

  /** The result recorded in a complete output folder's stats.json, or null (also for an SFT folder). */
  public static GrpoResult readResult(Path outDir) {
    Path f = outDir.resolve(StageOutput.STATS);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    JsonNode n = Json.read(f);
    if (!METHOD.equals(n.path("method").asText())) {
      return null;
    }
    return new GrpoResult(n.path("steps").asLong(), n.path("mean_reward_first").asDouble(Double.NaN),
        n.path("mean_reward_last").asDouble(Double.NaN), n.path("tokens_sampled").asLong(),
        n.path("tokens_trained").asLong(), n.path("flops").asDouble(), n.path("wall_seconds").asDouble(),
        n.path("accuracy_first").asDouble(Double.NaN), n.path("accuracy_last").asDouble(Double.NaN));
  }
}
