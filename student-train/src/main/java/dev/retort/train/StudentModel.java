package dev.retort.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.retort.model.CharTokenizer;
import dev.retort.model.Checkpoint;
import dev.retort.model.LoadedModel;
import dev.retort.model.ModelConfig;
import dev.retort.model.SourceCheckpoint;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a trained model starts: a Hugging Face checkpoint ({@code init-from}) or a random init
 * of the {@code model} block with the project's char tokenizer (or a given tokenizer.json).
 * Shared by the SFT and GRPO trainers.
 */
public final class StudentModel {
  /** File name of the char tokenizer written into a run's folder while it trains. */
  static final String SCRATCH_TOKENIZER = ".tokenizer.json";

  private StudentModel() {}

  /**
   * The tokenizer a run encodes with. Fails before anything is loaded when init-from lacks
   * config.json or tokenizer.json, or a tokenizer path does not exist.
   *
   * @param scratch folder where a char tokenizer.json is written
   */
  public static Tokenizer tokenizer(TrainSettings s, Path scratch) {
    try {
      if (s.initFrom().isPresent()) {
        Path dir = s.initFrom().get();
        checkCheckpointDir(dir);
        return Tokenizer.load(dir);
      }
      String vocab = s.model().vocab();
      if (vocab.trim().toLowerCase(Locale.ROOT).equals("char")) {
        Files.createDirectories(scratch);
        Path file = scratch.resolve(SCRATCH_TOKENIZER);
        CharTokenizer.write(file);
        return Tokenizer.load(file);
      }
      Path p = Path.of(vocab);
      if (!Files.exists(p)) {
        throw new IllegalArgumentException("model.vocab: no tokenizer at " + p + " (use \"char\" or a tokenizer.json path)");
      }
      return Tokenizer.load(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the tokenizer: " + e.getMessage(), e);
    }
  }

  /**
   * The identity of a checkpoint folder by what a model is: config, tokenizer and weight files
   * (*.safetensors, *.bin, *.json index). Logs, curves, stats and training checkpoints are left out:
   * they change with timings, not with the model.
   */
  public static String identity(Path dir) {
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      StringBuilder b = new StringBuilder();
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        String name = f.getFileName().toString();
        boolean model = name.equals(Checkpoint.CONFIG) || name.equals("tokenizer.json")
            || name.equals("tokenizer_config.json") || name.equals(dev.retort.model.Tokenizer.CHAT_TEMPLATE_FILE)
            || name.endsWith(".safetensors")
            || name.endsWith(".bin") || name.endsWith(".safetensors.index.json");
        if (model) {
          b.append(name).append('=').append(dev.retort.core.run.Provenance.identityOf(f)).append(';');
        }
      }
      return dev.retort.core.config.RetortConfig.sha256(b.toString()).substring(0, 32);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** init-from must be a Hugging Face folder with config.json, weights and tokenizer.json. */
  public static void checkCheckpointDir(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("init-from: checkpoint folder " + dir + " does not exist");
    }
    if (!Files.isRegularFile(dir.resolve(Checkpoint.CONFIG))) {
      throw new IllegalArgumentException("init-from: " + dir + " has no config.json (not a Hugging Face checkpoint)");
    }
    if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
      throw new IllegalArgumentException("init-from: " + dir + " has no tokenizer.json; training needs the tokenizer"
          + " the checkpoint was made with (copy tokenizer.json next to config.json)");
    }
  }

  /** The architecture: init-from's config.json, else the model block sized to the tokenizer. */
  public static ModelConfig config(TrainSettings s, Tokenizer tok) {
    if (s.initFrom().isPresent()) {
      try {
        return ModelConfig.read(s.initFrom().get().resolve(Checkpoint.CONFIG));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    TrainSettings.ModelSpec m = s.model();
    // Generation stops at the end of the assistant turn, then the tokenizer's eos.
    List<Integer> eos = new ArrayList<>(s.chatTemplate(tok).endOfTurnIds(tok));
    String type = m.modelType().toLowerCase(Locale.ROOT);
    return new ModelConfig(type, tok.vocabSize(), m.hiddenSize(), m.intermediateSize(), m.numLayers(), m.numHeads(),
        m.numKvHeads(), m.hiddenSize() / m.numHeads(), m.maxPositionEmbeddings(), 1e-6, m.ropeTheta(), null,
        m.tieWordEmbeddings(), false, false, tok.bosId(), eos, tok.padId());
  }

  /**
   * What init-from's folder says beyond the architecture (config keys, generation defaults,
   * dtype), for saving the trained model the way the source was; null for a random init.
   */
  public static SourceCheckpoint source(TrainSettings s) {
    if (s.initFrom().isEmpty()) {
      return null;
    }
    try {
      return SourceCheckpoint.read(s.initFrom().get());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read init-from " + s.initFrom().get() + ": " + e.getMessage(), e);
    }
  }

  /** Loads init-from's weights, or creates seeded random ones, on {@code manager}'s device. */
  public static Transformer create(TrainSettings s, ModelConfig config, NDManager manager) {
    if (s.initFrom().isPresent()) {
      try {
        LoadedModel lm = Checkpoint.load(s.initFrom().get(), manager, manager.getDevice());
        if (lm.tokenizer() != null) {
          lm.tokenizer().close(); // the run already holds one
        }
        return lm.model();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load init-from " + s.initFrom().get() + ": " + e.getMessage(), e);
      }
    }
    return Transformer.create(config, s.seed(), manager.newSubManager());
  }

  /** A copy of {@code model}'s weights on {@code device} (a data-parallel replica). */
  public static Transformer replica(Transformer model, Device device, NDManager root) {
    NDManager rm = root.newSubManager(device);
    Map<String, NDArray> w = new LinkedHashMap<>();
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false); // copies must be leaves, not nodes of the original's graph
    try {
      model.weights().forEach((name, a) -> {
        NDArray c = device.equals(a.getDevice()) ? a.duplicate() : a.toDevice(device, true);
        c.attach(rm);
        w.put(name, c);
      });
    } finally {
      JniUtils.setGradMode(grad);
    }
    return new Transformer(model.config(), w, rm);
  }
}
