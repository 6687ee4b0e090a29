package dev.retort.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.retort.core.io.Json;
import dev.retort.core.run.StageOutput;
import dev.retort.model.Safetensors;
import dev.retort.model.Transformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumable checkpoints in {@code <out>/checkpoints/step-NNNNNNNNN/}: {@code model.safetensors}
 * (fp32 weights by Hugging Face name), {@code optimizer.safetensors} (AdamW moments) and
 * {@code state.json} ({@link TrainState}). A checkpoint is written under a temporary dot-name and
 * renamed into place, so a process killed mid-save leaves the previous checkpoint as the latest;
 * only the newest {@code keep} are kept.
 */
public final class Checkpoints {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  public static final String DIR = "checkpoints";
  public static final String MODEL = "model.safetensors";
  public static final String OPTIMIZER = "optimizer.safetensors";
  public static final String STATE = "state.json";

  private final Path dir;
  private final int keep;

  /** @param dir the checkpoints folder (usually {@code <out>/checkpoints}) */
  public Checkpoints(Path dir, int keep) {
    this.dir = dir;
    this.keep = Math.max(1, keep);
  }

  public Path dir() {
    return dir;
  }

  /** Completed checkpoints, oldest first. */
  public List<Path> list() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("step-"))
          .filter(p -> Files.isRegularFile(p.resolve(STATE)))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Optional<Path> latest() {
    List<Path> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Saves weights, optimizer moments and state atomically; prunes old checkpoints. */
  public Path save(TrainState state, Transformer model, AdamW optimizer) {
    return save(state, model.weights(), optimizer == null ? Map.of() : optimizer.stateTensors());
  }

  /** Saves arbitrary named fp32 tensors (weights; optimizer state, may be empty) with the state. */
  public Path save(TrainState state, Map<String, NDArray> weights, Map<String, NDArray> optimizerTensors) {
    Path target = dir.resolve(String.format("step-%09d", state.step()));
    writeFolder(target, tmp -> {
      Safetensors.write(tmp.resolve(MODEL), weights, DataType.FLOAT32);
      if (!optimizerTensors.isEmpty()) {
        Safetensors.write(tmp.resolve(OPTIMIZER), optimizerTensors, DataType.FLOAT32);
      }
      Json.write(tmp.resolve(STATE), state);
    });
    prune();
    return target;
  }

  /** Writes the files of a folder into a given (temporary) folder. */
  public interface FolderBody {
    void write(Path into) throws IOException;
  }

  /**
   * Writes a whole folder atomically: {@code body} fills a dot-named sibling, which then replaces
   * {@code target} by a rename, so a reader never sees a half-written folder and a process killed
   * mid-write leaves the previous one (a leftover temporary is replaced by the next write).
   */
  static void writeFolder(Path target, FolderBody body) {
    Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
    try {
      Files.createDirectories(target.getParent());
      StageOutput.deleteTree(tmp);
      Files.createDirectories(tmp);
      body.write(tmp);
      StageOutput.deleteTree(target); // a rerun of the same step replaces it
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  private void prune() {
    List<Path> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      StageOutput.deleteTree(all.get(i));
    }
  }

  /** Removes every checkpoint and leftover temporary (a run of another config starts over). */
  public void deleteAll() {
    StageOutput.deleteTree(dir);
  }

  /** Removes temporaries of saves that were killed. */
  public void cleanTemporaries() {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".")).toList()) {
        LOG.info("removing the unfinished checkpoint {}", p.getFileName());
        StageOutput.deleteTree(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static TrainState readState(Path checkpoint) {
    try {
      return Json.MAPPER.readValue(checkpoint.resolve(STATE).toFile(), TrainState.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + checkpoint.resolve(STATE) + ": " + e.getMessage(), e);
    }
  }

  /** All tensors of one safetensors file of a checkpoint, as fp32 values by name. */
  public static Map<String, float[]> readTensors(Path file) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (Safetensors.Reader r = Safetensors.Reader.open(file)) {
      for (String name : r.tensors().keySet()) {
        out.put(name, r.readFloats(name));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** Loads weights and optimizer moments of {@code checkpoint} into the live model and optimizer. */
  public static TrainState restore(Path checkpoint, Transformer model, AdamW optimizer) {
    TrainState state = readState(checkpoint);
    model.setParameterValues(readTensors(checkpoint.resolve(MODEL)));
    if (optimizer != null) {
      optimizer.loadState(readTensors(checkpoint.resolve(OPTIMIZER)), state.optimizerSteps());
    }
    return state;
  }

  /** Largest absolute difference between two weight maps (resume checks); names must match. */
  public static double maxAbsDiff(Map<String, float[]> a, Map<String, float[]> b) {
    if (!a.keySet().equals(b.keySet())) {
      List<String> diff = new ArrayList<>(a.keySet());
      diff.removeAll(b.keySet());
      throw new IllegalArgumentException("tensor names differ, e.g. " + diff);
    }
    double max = 0;
    for (Map.Entry<String, float[]> e : a.entrySet()) {
      float[] x = e.getValue();
      float[] y = b.get(e.getKey());
      if (x.length != y.length) {
        throw new IllegalArgumentException("tensor " + e.getKey() + " sizes differ");
      }
      for (int i = 0; i < x.length; i++) {
        max = Math.max(max, Math.abs(x[i] - y[i]));
      }
    }
    return max;
  }
}
