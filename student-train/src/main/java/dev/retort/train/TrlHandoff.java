package dev.retort.train;

import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.model.ModelConfig;
import dev.retort.model.ChatTemplate;
import dev.retort.model.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The handoff for students that do not fit one device (or need many nodes): instead of a
 * home-made distributed trainer, Retort writes what an existing one needs: a TRL SFTTrainer script
 * run by {@code accelerate launch} with FSDP, reading the same SFT Parquet with the same chat
 * template (the checkpoint's own, or {@code chat-template}; the script splits each row into prompt
 * and trained turn the way {@link ChatTemplate#completion} does and hands TRL the token ids and
 * completion mask), loss mask (completion only), schedule (warmup, cosine to {@code min-lr-ratio}) and
 * optimizer settings. Files written into the handoff folder:
 *
 * <ul>
 *   <li>{@code launch.sh}: {@code accelerate launch} for one or many nodes (NNODES, NODE_RANK,
 *       MASTER_ADDR, MASTER_PORT, GPUS_PER_NODE from the environment), or with {@code devices =
 *       cpu} the script in one process on the CPU; RETORT_PYTHON names the Python to run
 *   <li>{@code accelerate_fsdp.yaml}: FSDP full sharding, bf16 mixed precision
 *   <li>{@code train_trl.py}: the training script (TRL's SFTTrainer, prompt-completion format)
 *   <li>{@code retort_sft.json}: the resolved settings the script reads
 *   <li>{@code init/}: config.json and tokenizer files of a random-init student (absent with init-from)
 *   <li>{@code requirements.txt}, {@code README.md}
 * </ul>
 */
public final class TrlHandoff {
  public static final String LAUNCH = "launch.sh";
  public static final String ACCELERATE = "accelerate_fsdp.yaml";
  public static final String SCRIPT = "train_trl.py";
  public static final String SETTINGS = "retort_sft.json";

  private TrlHandoff() {}

  /**
   * Writes the handoff files for training {@code settings} on {@code dataDir} into {@code dir}.
   *
   * @return the files written
   * @throws IllegalArgumentException when the data folder has no Parquet files or init-from is unusable
   */
  public static List<Path> write(TrainSettings settings, Path dataDir, Path dir) {
    Path data = settings.data().orElse(dataDir).toAbsolutePath().normalize();
    if (ParquetIO.files(data).isEmpty()) {
      throw new IllegalArgumentException("no SFT Parquet files under " + data + ": run the filter stage first");
    }
    List<Path> out = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      Map<String, Object> cfg = new LinkedHashMap<>();
      cfg.put("data", data.toString());
      String modelPath;
      String layerClass;
      if (settings.initFrom().isPresent()) {
        StudentModel.checkCheckpointDir(settings.initFrom().get());
        modelPath = settings.initFrom().get().toAbsolutePath().normalize().toString();
        cfg.put("init_from", modelPath);
        cfg.put("random_init", false);
        layerClass = decoderLayerClass(ModelConfig.read(settings.initFrom().get().resolve("config.json")).modelType());
        try (Tokenizer tok = Tokenizer.load(settings.initFrom().get())) {
          cfg.put("chat_template", settings.chatTemplate(tok).source());
        }
      } else {
        Path init = dir.resolve("init");
        Files.createDirectories(init);
        try (Tokenizer tok = StudentModel.tokenizer(settings, init)) {
          ModelConfig config = StudentModel.config(settings, tok);
          config.write(init.resolve("config.json"));
          ChatTemplate template = settings.chatTemplate(tok);
          tok.saveTo(init, template);
          cfg.put("chat_template", template.source());
          layerClass = decoderLayerClass(config.modelType());
        }
        Files.deleteIfExists(init.resolve(StudentModel.SCRATCH_TOKENIZER));
        modelPath = "init";
        cfg.put("init_from", modelPath);
        cfg.put("random_init", true);
        out.add(init.resolve("config.json"));
        out.add(init.resolve("tokenizer.json"));
      }
      cfg.put("output_dir", "model");
      cfg.put("epochs", settings.epochs());
      cfg.put("max_steps", settings.maxSteps() > 0 ? settings.maxSteps() : -1);
      cfg.put("global_batch_rows", settings.batchSize());
      cfg.put("seq_len", settings.seqLen());
      cfg.put("grad_accum", settings.gradAccum());
      cfg.put("lr", settings.lr());
      cfg.put("min_lr_ratio", settings.minLrRatio());
      cfg.put("warmup_steps", settings.warmupSteps());
      cfg.put("weight_decay", settings.weightDecay());
      cfg.put("beta1", settings.beta1());
      cfg.put("beta2", settings.beta2());
      cfg.put("eps", settings.eps());
      cfg.put("clip_norm", settings.clipNorm());
      cfg.put("seed", settings.seed());
      cfg.put("checkpoint_every", settings.checkpointEvery() > 0 ? settings.checkpointEvery() : 500);
      cfg.put("keep_checkpoints", settings.keepCheckpoints());
      cfg.put("log_every", settings.logEvery());
      cfg.put("early_stop_patience", settings.earlyStop().patience());
      cfg.put("save_dtype", settings.saveDtype());
      cfg.put("device", device(settings));
      cfg.put("threads", settings.threads());
      Json.write(dir.resolve(SETTINGS), cfg);
      out.add(dir.resolve(SETTINGS));

      out.add(copyTemplate("train_trl.py", dir.resolve(SCRIPT), Map.of(), true));
      out.add(copyTemplate("launch.sh", dir.resolve(LAUNCH), Map.of("@DEVICE@", device(settings)), true));
      out.add(copyTemplate("accelerate_fsdp.yaml", dir.resolve(ACCELERATE), Map.of("@LAYER_CLASS@", layerClass), false));
      out.add(copyTemplate("requirements.txt", dir.resolve("requirements.txt"), Map.of(), false));
      out.add(copyTemplate("README.md", dir.resolve("README.md"), Map.of("@DATA@", data.toString()), false));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the TRL handoff into " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Where launch.sh trains: "cpu" (one process, no FSDP) for {@code devices = cpu}, else "gpu"
   * (accelerate + FSDP over the visible GPUs, or those {@code gpu:I,J} names).
   *
   * @throws IllegalArgumentException for {@code cpu:N} with N > 1 (TRL on the CPU is one process)
   */
  public static String device(TrainSettings settings) {
    DeviceSpec spec = DeviceSpec.parse(settings.devices());
    if (spec.cpuReplicas() > 1) {
      throw new IllegalArgumentException("devices = " + settings.devices() + ": trainer = trl trains on the CPU in one process;"
          + " use devices = cpu (or the in-process trainer, trainer = djl, for CPU replicas)");
    }
    return spec.cpuReplicas() == 1 ? "cpu" : "gpu";
  }

  static String decoderLayerClass(String modelType) {
    return switch (modelType.toLowerCase(Locale.ROOT)) {
      case "qwen2" -> "Qwen2DecoderLayer";
      case "qwen3" -> "Qwen3DecoderLayer";
      case "llama" -> "LlamaDecoderLayer";
      default -> throw new IllegalArgumentException("no FSDP layer class known for model_type " + modelType);
    };
  }

  private static Path copyTemplate(String name, Path target, Map<String, String> vars, boolean executable) throws IOException {
    String text;
    try (InputStream in = TrlHandoff.class.getResourceAsStream("handoff/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource handoff/" + name);
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    for (Map.Entry<String, String> v : vars.entrySet()) {
      text = text.replace(v.getKey(), v.getValue());
    }
    Files.writeString(target, text, StandardCharsets.UTF_8);
    if (executable) {
      try {
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
      } catch (UnsupportedOperationException e) {
        // non-POSIX file system: run with `bash launch.sh` / `python3 train_trl.py`
      }
    }
    return target;
  }
}
