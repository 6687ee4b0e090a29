package dev.retort.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.run.Provenance;
import dev.retort.model.ChatTemplate;
import dev.retort.model.Checkpoint;
import dev.retort.model.Generation;
import dev.retort.model.LoadedModel;
import dev.retort.model.Sampler;
import dev.retort.model.SamplingOptions;
import dev.retort.model.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A local HF-layout checkpoint run through the model module's batched KV-cache {@link Sampler}.
 * The user turn goes through the checkpoint's own chat template (the one its weights were trained
 * on); generation stops at the template's end of turn or the checkpoint's eos ids.
 * Each request draws from its own seed, so a sample does not depend on its batch.
 */
public final class CheckpointModel implements ModelUnderTest {
  private final Path dir;
  private final NDManager manager;
  private final LoadedModel loaded;
  private final Sampler sampler;
  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final List<Integer> stopIds;
  private final int batchSize;
  private final String identity;

  /**
   * @param device "cpu", "gpu", "gpu:N" or "auto" (GPU 0 when the engine sees a GPU)
   * @param batchSize prompts per sampler call
   */
  public CheckpointModel(Path dir, String device, int batchSize) {
    this.dir = dir;
    this.batchSize = batchSize;
    this.identity = identityOf(dir);
    Device d = dev.retort.model.Devices.parse(device, "eval.device", null);
    this.manager = NDManager.newBaseManager(d);
    try {
      this.loaded = Checkpoint.load(dir, manager, d);
    } catch (IOException e) {
      manager.close();
      throw new UncheckedIOException("cannot load checkpoint " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
    if (loaded.tokenizer() == null) {
      close();
      throw new IllegalArgumentException("checkpoint " + dir + " has no tokenizer.json: cannot evaluate it on text");
    }
    this.tokenizer = loaded.tokenizer();
    this.sampler = loaded.sampler();
    try {
      this.template = tokenizer.chatTemplate(null, "the checkpoint's tokenizer_config.json chat_template");
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    this.stopIds = template.stopIds(tokenizer, loaded.stopTokenIds());
  }

  /**
   * The checkpoint's content identity without loading it: folder name and a hash of the files a
   * load reads (top level only: a trainer's {@code checkpoints/} resume states below it change
   * while training and are not the model).
   */
  public static String identityOf(Path dir) {
    StringBuilder b = new StringBuilder();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        String name = f.getFileName().toString();
        if (name.endsWith(".safetensors") || name.endsWith(".json")) {
          b.append(name).append('=').append(Provenance.identityOf(f)).append('\n');
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + dir + ": " + e.getMessage(), e);
    }
    return "checkpoint:" + dir.toAbsolutePath().normalize().getFileName() + "@sha256:"
        + RetortConfig.sha256(b.toString()).substring(0, 32);
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public List<Response> generate(List<Request> requests) {
    List<Response> out = new ArrayList<>(requests.size());
    int i = 0;
    while (i < requests.size()) {
      // A batch shares sampling settings; requests of one benchmark all do, so this is one cut per batchSize.
      Request first = requests.get(i);
      int j = i;
      while (j < requests.size() && j - i < batchSize && sameSettings(first, requests.get(j))) {
        j++;
      }
      List<Request> batch = requests.subList(i, j);
      List<int[]> prompts = new ArrayList<>(batch.size());
      long[] seeds = new long[batch.size()];
      for (int b = 0; b < batch.size(); b++) {
        prompts.add(tokenizer.encode(template.prompt(batch.get(b).userText())));
        seeds[b] = batch.get(b).seed();
      }
      SamplingOptions opts = new SamplingOptions(first.maxTokens(), first.temperature(), first.topP(), first.topK(),
          first.seed(), stopIds, List.of());
      for (Generation g : sampler.generate(prompts, opts, seeds)) {
        out.add(new Response(g.text(), g.completionTokens(), g.finishReason(), null));
      }
      i = j;
    }
    return out;
  }

  private static boolean sameSettings(Request a, Request b) {
    return a.temperature() == b.temperature() && a.topP() == b.topP() && a.topK() == b.topK()
        && a.maxTokens() == b.maxTokens();
  }

  @Override
  public void close() {
    loaded.close();
    manager.close();
  }

  @Override
  public String toString() {
    return "CheckpointModel[" + dir + "]";
  }
}
