package dev.retort.model;

import java.nio.file.Path;
import java.util.List;

/**
 * A checkpoint in memory: config, weights and (when the folder has one) tokenizer. Closing it
 * frees the weights and the tokenizer.
 *
 * @param dir the folder it came from
 * @param config the parsed config.json
 * @param model the weights
 * @param tokenizer null when the folder has no tokenizer.json
 * @param stopTokenIds eos ids of generation_config.json and config.json, in that order, no repeats
 * @param source what the folder's config.json, generation_config.json and weight dtype were: pass
 *     it to {@link Checkpoint#save(Transformer, ModelConfig, Path, ai.djl.ndarray.types.DataType,
 *     Tokenizer, SourceCheckpoint)} so that a model derived from this one keeps them
 */
public record LoadedModel(Path dir, ModelConfig config, Transformer model, Tokenizer tokenizer,
    List<Integer> stopTokenIds, SourceCheckpoint source) implements AutoCloseable {

  /** A sampler over this model and tokenizer. */
  public Sampler sampler() {
    return new Sampler(model, tokenizer);
  }

  @Override
  public void close() {
    if (tokenizer != null) {
      tokenizer.close();
    }
    model.manager().close();
  }
}
