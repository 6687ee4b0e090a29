package dev.retort.train;

import java.nio.file.Path;

/** What listeners may ask of the loop. */
public interface TrainControl {
  /** Ends training after the current step (the end is a normal one: the model is saved). */
  void requestStop(String reason);

  boolean stopRequested();

  /** Writes a resumable checkpoint of the state after the current step and returns its folder. */
  Path checkpoint();

  /**
   * Writes the current weights as a Hugging Face checkpoint folder (config.json, safetensors,
   * tokenizer files) at {@code dir}, replacing it atomically: a model that eval and {@code model}
   * commands load as they load the final one.
   */
  void snapshot(Path dir);
}
