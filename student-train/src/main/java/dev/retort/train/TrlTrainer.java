package dev.retort.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.io.Json;
import dev.retort.core.run.StageOutput;
import dev.retort.model.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SFT by TRL instead of the in-process trainer ({@code trainer = "trl"}): writes the
 * {@link TrlHandoff} files into {@code <out>/trl}, runs {@code launch.sh} there (accelerate + FSDP
 * when GPUs are visible; one CPU process with {@code devices = cpu}), and moves the checkpoint it
 * saves into {@code <out>} with provenance, stats and metrics.jsonl, so whatever reads an SFT
 * output folder (eval, a later stage) reads this one the same way. Without GPUs it stops after writing the files, with one message naming them and
 * the command to run on a GPU machine; a checkpoint trained there and copied back into
 * {@code <out>/trl/model} is taken up by the next run instead of training again.
 *
 * <p>GPUs count as visible when {@code nvidia-smi -L} lists at least one (the count launch.sh
 * starts one process per GPU for), unless {@code CUDA_VISIBLE_DEVICES} is set to "" or "-1",
 * which hides them from CUDA; {@code devices = gpu:I,J} trains on those GPUs only. The Python
 * that runs TRL is {@code RETORT_PYTHON} from the environment, else the {@code retort.python}
 * system property, else {@code python3} on PATH.
 */
public final class TrlTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(TrlTrainer.class);
  /** The handoff folder inside the output folder. */
  public static final String HANDOFF = "trl";
  /** TRL's output folder inside the handoff folder (retort_sft.json's output_dir). */
  public static final String MODEL = "model";
  public static final String LOG_FILE = "train.log";
  static final String RUN_HASH = ".run-hash";

  private TrlTrainer() {}

  /** Thrown when TRL training needs GPUs and none is visible; the handoff files are written. */
  public static final class NoGpuException extends IllegalStateException {
    private final Path handoff;

    NoGpuException(String message, Path handoff) {
      super(message);
      this.handoff = handoff;
    }

    /** The folder holding launch.sh and the other handoff files. */
    public Path handoff() {
      return handoff;
    }
  }

  /** {@link #run(TrainSettings, Path, Path, Map)} with this process's environment. */
  public static TrainResult run(TrainSettings settings, Path dataDir, Path outDir) {
    return run(settings, dataDir, outDir, Map.of());
  }

  /**
   * Trains with TRL into {@code outDir} (see the class comment); returns the cached result when
   * {@code outDir} is complete for these settings and data.
   *
   * @param env added to the environment of the GPU probe and of launch.sh (tests put fakes on PATH)
   * @throws NoGpuException when no GPU is visible (after writing the handoff files)
   * @throws IllegalStateException when launch.sh fails (naming its log)
   */
  public static TrainResult run(TrainSettings settings, Path dataDir, Path outDir, Map<String, String> env) {
    Path data = settings.data().orElse(dataDir);
    if (data == null || !Files.exists(data)) {
      throw new IllegalArgumentException("SFT data folder " + data + " does not exist");
    }
    String dataId = SftData.identity(data);
    String initId = settings.initFrom().map(StudentModel::identity).orElse("random-init");
    String runHash = RetortConfig.sha256("trl|" + settings.weightsHash() + "|" + dataId + "|" + initId);
    if (StageOutput.isComplete(outDir, runHash)) {
      TrainResult cached = SftTrainer.readResult(outDir);
      if (cached != null) {
        LOG.info("{}: complete for this config and data (_SUCCESS {}), skipped", outDir, runHash.substring(0, 12));
        return cached;
      }
    }
    Path handoff = outDir.resolve(HANDOFF);
    try {
      Files.createDirectories(outDir);
      StageOutput.invalidate(outDir);
      Path hashFile = handoff.resolve(RUN_HASH);
      if (Files.isDirectory(handoff) && !(Files.isRegularFile(hashFile) && Files.readString(hashFile).strip().equals(runHash))) {
        LOG.warn("{} holds a TRL run of another config or data; starting over", handoff);
        StageOutput.deleteTree(handoff);
      }
      List<Path> files = TrlHandoff.write(settings, data, handoff);
      Files.writeString(hashFile, runHash + "\n", StandardCharsets.UTF_8);
      Path trained = handoff.resolve(MODEL);
      if (!finished(trained)) {
        Map<String, String> launchEnv = new LinkedHashMap<>(env);
        String python = System.getProperty("retort.python");
        if (python != null && !env.containsKey("RETORT_PYTHON") && System.getenv("RETORT_PYTHON") == null) {
          launchEnv.put("RETORT_PYTHON", python);
        }
        if (TrlHandoff.device(settings).equals("gpu")) {
          if (!gpusVisible(env)) {
            throw new NoGpuException(noGpuMessage(handoff, files), handoff);
          }
          List<Integer> ids = DeviceSpec.parse(settings.devices()).gpus();
          if (!ids.isEmpty()) {
            launchEnv.put("CUDA_VISIBLE_DEVICES", String.join(",", ids.stream().map(String::valueOf).toList()));
            launchEnv.put("GPUS_PER_NODE", String.valueOf(ids.size()));
          }
        }
        launch(handoff, launchEnv);
        if (!finished(trained)) {
          throw new IllegalStateException("TRL training exited cleanly but left no model in " + trained
              + " (config.json, *.safetensors, trainer_state.json); see " + handoff.resolve(LOG_FILE));
        }
      } else {
        LOG.info("{}: a finished TRL model is there, taken up without training", trained);
      }
      return adopt(settings, data, outDir, trained, runHash, dataId, initId);
    } catch (IOException e) {
      throw new UncheckedIOException("TRL training into " + outDir + ": " + e.getMessage(), e);
    }
  }

  /** The one-line message of the no-GPU stop: what was written and what to run where. */
  static String noGpuMessage(Path handoff, List<Path> files) {
    Path launch = handoff.resolve(TrlHandoff.LAUNCH).toAbsolutePath();
    return "trainer = trl needs GPUs and none is visible here (nvidia-smi lists none): wrote the TRL launch files "
        + files.stream().map(f -> handoff.relativize(f).toString()).toList() + " to " + handoff.toAbsolutePath()
        + "; on a GPU machine run `bash " + launch + "` (pip install -r requirements.txt first), copy its "
        + MODEL + "/ folder back to " + handoff.resolve(MODEL).toAbsolutePath() + " if it ran elsewhere, and rerun: "
        + "the stage then takes that model up (a small student can train here instead: train.devices = cpu)";
  }

  /** The command that runs the handoff in its folder. */
  static List<String> launchCommand(Path handoff) {
    return List.of("bash", handoff.resolve(TrlHandoff.LAUNCH).toAbsolutePath().toString());
  }

  private static void launch(Path handoff, Map<String, String> env) throws IOException {
    Path log = handoff.resolve(LOG_FILE);
    List<String> cmd = launchCommand(handoff);
    LOG.info("training with TRL: {} (log: {})", String.join(" ", cmd), log);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(handoff.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    pb.environment().put("PYTHONUNBUFFERED", "1");
    Process p = pb.start();
    int code;
    try {
      code = p.waitFor();
    } catch (InterruptedException e) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while TRL trained in " + handoff, e);
    }
    if (code != 0) {
      throw new IllegalStateException("TRL training (" + String.join(" ", cmd) + ") exited with " + code + ": "
          + lastLine(log) + " (whole log: " + log + ")");
    }
  }

  /** The log's last non-blank line: launch.sh's own message, or the exception a Python traceback ends with. */
  static String lastLine(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (!lines.get(i).isBlank()) {
        return lines.get(i).strip();
      }
    }
    return "(the log is empty)";
  }

  /**
   * Whether GPUs are visible to a launch: {@code nvidia-smi -L} lists one and
   * {@code CUDA_VISIBLE_DEVICES} does not hide them ("" or "-1").
   */
  public static boolean gpusVisible(Map<String, String> env) {
    String cuda = env.containsKey("CUDA_VISIBLE_DEVICES") ? env.get("CUDA_VISIBLE_DEVICES") : System.getenv("CUDA_VISIBLE_DEVICES");
    if (cuda != null && (cuda.isBlank() || cuda.strip().equals("-1"))) {
      return false;
    }
    return nvidiaSmiGpus(env) > 0;
  }

  /** GPUs {@code nvidia-smi -L} lists (0 when it is missing or fails); run through sh so env's PATH applies. */
  static int nvidiaSmiGpus(Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", "nvidia-smi -L 2>/dev/null").redirectErrorStream(true);
    pb.environment().putAll(env);
    try {
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        return 0;
      }
      return (int) out.lines().filter(l -> l.startsWith("GPU ")).count();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  /** A model TRL saved at the end: config, weights and its trainer state (written after the last step). */
  static boolean finished(Path trained) throws IOException {
    if (!Files.isRegularFile(trained.resolve("config.json")) || !Files.isRegularFile(trained.resolve("trainer_state.json"))) {
      return false;
    }
    try (Stream<Path> files = Files.list(trained)) {
      return files.anyMatch(f -> f.getFileName().toString().endsWith(".safetensors"));
    }
  }

  /**
   * One logged TRL step as a row of Retort's metrics.jsonl (the keys the in-process trainer
   * writes, so the report draws both trainers' curves the same way).
   */
  static Map<String, Object> metricsRow(JsonNode row) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", row.path("step").asLong());
    m.put("epoch", row.path("epoch").asDouble());
    m.put("loss", row.path("loss").asDouble());
    if (row.has("learning_rate")) {
      m.put("lr", row.get("learning_rate").asDouble());
    }
    if (row.has("grad_norm")) {
      m.put("grad_norm", row.get("grad_norm").asDouble());
    }
    if (row.has("num_input_tokens_seen")) {
      m.put("tokens", row.get("num_input_tokens_seen").asLong());
    }
    return m;
  }

  /** Moves TRL's model files into the output folder and completes it with provenance and stats. */
  private static TrainResult adopt(TrainSettings s, Path data, Path outDir, Path trained, String runHash, String dataId,
      String initId) throws IOException {
    try (Stream<Path> old = Files.list(outDir)) {
      for (Path p : old.filter(p -> p.getFileName().toString().matches("model(-\\d+-of-\\d+)?\\.safetensors(\\.index\\.json)?")).toList()) {
        Files.delete(p);
      }
    }
    try (Stream<Path> files = Files.list(trained)) {
      // training_args.bin is a pickled Python object: nothing reads it, and loading it runs code.
      for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals("training_args.bin")).toList()) {
        Files.copy(f, outDir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    StudentModel.checkCheckpointDir(outDir);
    JsonNode state = Json.read(trained.resolve("trainer_state.json"));
    double finalLoss = Double.NaN;
    double wall = 0;
    long tokens = 0;
    double meanLoss = Double.NaN;
    List<Map<String, Object>> metrics = new ArrayList<>();
    for (JsonNode row : state.path("log_history")) {
      if (row.has("loss")) {
        finalLoss = row.get("loss").asDouble();
        metrics.add(metricsRow(row));
      }
      if (row.has("train_runtime")) {
        wall = row.get("train_runtime").asDouble();
        meanLoss = row.path("train_loss").asDouble(Double.NaN);
      }
    }
    if (Double.isNaN(finalLoss)) {
      finalLoss = meanLoss; // a run shorter than logging_steps logs only its mean loss
    }
    Path metricsFile = outDir.resolve(MetricsJsonl.FILE);
    Json.writeLines(metricsFile, metrics);
    TrainingCurves.write(metricsFile, outDir, outDir.getFileName().toString());
    tokens = state.path("num_input_tokens_seen").asLong(0);
    long steps = state.path("global_step").asLong();
    ModelConfig config = ModelConfig.read(outDir.resolve("config.json"));
    long params = config.parameterCount();
    double flops = tokens > 0 ? config.trainingFlopsPerToken(s.seqLen()) * tokens : 0;
    TrainResult result = new TrainResult(finalLoss, steps, tokens, wall, params, flops);

    Map<String, Object> stats = result.stats(TrainSettings.Trainer.TRL);
    stats.put("logged_steps", metrics.size());
    SftTrainer.completeModel(outDir, s, runHash, data, dataId, initId, stats);
    LOG.info("{}: TRL model taken up ({} steps, final loss {})", outDir, steps, String.format("%.4f", finalLoss));
    return result;
  }
}
