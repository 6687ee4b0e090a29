package dev.retort.teacher.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.retort.core.data.SamplingParams;
import dev.retort.model.ChatTemplate;
import dev.retort.model.Checkpoint;
import dev.retort.model.Devices;
import dev.retort.model.Generation;
import dev.retort.model.LoadedModel;
import dev.retort.model.Sampler;
import dev.retort.model.SamplingOptions;
import dev.retort.model.Tokenizer;
import dev.retort.teacher.ReasoningParser;
import dev.retort.teacher.server.Completion;
import dev.retort.teacher.server.CompletionBackend;
import dev.retort.teacher.server.CompletionRequest;
import dev.retort.teacher.server.Decode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A checkpoint loaded with the model module and sampled with its KV-cache {@link Sampler}: the
 * backend of {@code retort serve} and of the in-process teacher on GPU executors.
 *
 * <p>Each request's messages (system, earlier turns, the last user turn) are rendered with the
 * checkpoint's own chat template up to its generation prompt and encoded with the checkpoint's own
 * tokenizer (the project's character-level tokenizer.json or a real HF one); sampling stops at the
 * template's end of turn or the checkpoint's eos ids.
 * The generated text starts with the model's {@code <think>} block and is split with core
 * {@code Completions.split} (through {@link ReasoningParser}), which also accepts R1-style output
 * without the opening tag. One Sampler call per distinct sampling setting in the batch (a batch of
 * distillation requests shares one); every row keeps its request's own seed.
 *
 * <p>Under the server's {@link dev.retort.teacher.server.Batcher} it decodes in slices
 * ({@link #decode}): a row resumes by prefilling its prompt plus the tokens it generated so far
 * (the slice's state is just those tokens, so the scheduler can interleave and drop rows freely),
 * and draws the slice from {@link Decode#sliceSeed()}. A sample that finishes within its first
 * slice is exactly what {@link #generate} gives; a longer one is deterministic for a given seed and
 * slice size. A stop string that straddles two slices ends generation one slice late, but the text
 * is still cut at it.
 */
public final class DjlBackend implements CompletionBackend {
  private final NDManager manager;
  private final LoadedModel loaded;
  private final Sampler sampler;
  private final Tokenizer tokenizer;
  private final List<Integer> stopIds;
  private final ChatTemplate template;
  private final String endOfTurn;
  private final String name;

  private DjlBackend(NDManager manager, LoadedModel loaded) {
    this.manager = manager;
    this.loaded = loaded;
    this.tokenizer = loaded.tokenizer();
    if (tokenizer == null) {
      throw new IllegalArgumentException("checkpoint " + loaded.dir() + " has no tokenizer.json; the teacher needs one");
    }
    this.sampler = loaded.sampler();
    this.template = tokenizer.chatTemplate(null, "a chat_template in the teacher checkpoint's tokenizer_config.json");
    this.endOfTurn = template.endOfTurn().strip();
    this.stopIds = template.stopIds(tokenizer, loaded.stopTokenIds());
    Path fn = loaded.dir().toAbsolutePath().normalize().getFileName();
    this.name = fn == null ? "checkpoint" : fn.toString();
  }

  /** Loads {@code checkpoint} onto {@code device} (null: DJL's default device). */
  public static DjlBackend load(Path checkpoint, Device device) {
    NDManager m = device == null ? NDManager.newBaseManager() : NDManager.newBaseManager(device);
    try {
      return new DjlBackend(m, Checkpoint.load(checkpoint, m, device));
    } catch (IOException e) {
      m.close();
      throw new UncheckedIOException("cannot load teacher checkpoint " + checkpoint + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** teacher.djl.device in a Spark task ({@link Devices}): auto is the task's first GPU, else the CPU. */
  public static Device device(String setting, List<String> gpuAddresses) {
    return Devices.parse(setting, "teacher.djl.device", gpuAddresses == null ? List.of() : gpuAddresses);
  }

  /** serve's --device ({@link Devices}): auto is GPU 0 when the engine sees a GPU, else the CPU. */
  public static Device localDevice(String setting) {
    return Devices.parse(setting, "--device", null);
  }

  /** The checkpoint folder's name: the teacher id of in-process generations. */
  public String name() {
    return name;
  }

  public Device device() {
    return manager.getDevice();
  }

  @Override
  public List<Completion> generate(List<CompletionRequest> batch) {
    // Group rows that share sampling settings: one Sampler call each, results put back in order.
    Map<Key, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      CompletionRequest r = batch.get(i);
      SamplingParams s = r.sampling();
      groups.computeIfAbsent(new Key(s.temperature(), s.topP(), s.topK(), s.maxTokens(), r.stop()), k -> new ArrayList<>()).add(i);
    }
    Completion[] out = new Completion[batch.size()];
    for (Map.Entry<Key, List<Integer>> g : groups.entrySet()) {
      Key k = g.getKey();
      List<Integer> rows = g.getValue();
      List<int[]> prompts = new ArrayList<>(rows.size());
      long[] seeds = new long[rows.size()];
      for (int j = 0; j < rows.size(); j++) {
        CompletionRequest r = batch.get(rows.get(j));
        prompts.add(tokenizer.encode(template.prompt(r.messages()))); // every message, system and history included
        Long seed = r.sampling().seed();
        seeds[j] = seed != null ? seed : ThreadLocalRandom.current().nextLong();
      }
      SamplingOptions opts = new SamplingOptions(k.maxTokens, k.temperature, k.topP, k.topK, 0, stopIds,
          k.stop.stream().filter(s -> !s.isEmpty()).toList());
      List<Generation> gens = sampler.generate(prompts, opts, seeds);
      for (int j = 0; j < rows.size(); j++) {
        Generation gen = gens.get(j);
        String text = gen.text() == null ? "" : gen.text();
        int end = endOfTurn.isEmpty() ? -1 : text.indexOf(endOfTurn);
        if (end >= 0) {
          text = text.substring(0, end);
        }
        ReasoningParser.Parts parts = ReasoningParser.parseContent(text);
        out[rows.get(j)] = new Completion(parts.reasoning(), parts.answer(), gen.finishReason(), gen.promptTokens(),
            gen.completionTokens());
      }
    }
    return List.of(out);
  }

  /**
   * Renders and encodes the request's prompt: messages the template rejects (raise_exception), and
   * a prompt plus max_tokens beyond the model's context, fail here, before any batch is sampled.
   */
  @Override
  public void check(CompletionRequest request) {
    int promptTokens = tokenizer.encode(template.prompt(request.messages())).length;
    int context = loaded.config().maxPositionEmbeddings();
    long total = (long) promptTokens + request.sampling().maxTokens();
    if (total > context) {
      throw new IllegalArgumentException("the prompt's " + promptTokens + " tokens plus max_tokens "
          + request.sampling().maxTokens() + " exceed the model's context of " + context + " tokens");
    }
  }

  @Override
  public List<Decode> decode(List<Decode> rows, int sliceTokens) {
    Map<Key, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      Decode d = rows.get(i);
      SamplingParams s = d.request().sampling();
      int step = Math.min(sliceTokens, d.remaining());
      groups.computeIfAbsent(new Key(s.temperature(), s.topP(), s.topK(), step, d.request().stop()), k -> new ArrayList<>()).add(i);
    }
    Set<Integer> stops = new HashSet<>(stopIds);
    Decode[] out = new Decode[rows.size()];
    for (Map.Entry<Key, List<Integer>> g : groups.entrySet()) {
      Key k = g.getKey();
      List<Integer> idx = g.getValue();
      List<int[]> inputs = new ArrayList<>(idx.size());
      List<int[]> prompts = new ArrayList<>(idx.size());
      long[] seeds = new long[idx.size()];
      for (int j = 0; j < idx.size(); j++) {
        Decode d = rows.get(idx.get(j));
        int[] prompt = d.prompt() != null ? d.prompt() : tokenizer.encode(template.prompt(d.request().messages()));
        prompts.add(prompt);
        inputs.add(concat(prompt, d.tokens()));
        seeds[j] = d.sliceSeed();
      }
      List<String> stopStrings = k.stop.stream().filter(s -> !s.isEmpty()).toList();
      SamplingOptions opts = new SamplingOptions(k.maxTokens, k.temperature, k.topP, k.topK, 0, stopIds, stopStrings);
      List<Generation> gens = sampler.generate(inputs, opts, seeds);
      for (int j = 0; j < idx.size(); j++) {
        Decode d = rows.get(idx.get(j));
        int[] all = concat(d.tokens(), gens.get(j).tokens());
        boolean byToken = all.length > d.tokens().length && stops.contains(all[all.length - 1]);
        String text = tokenizer.decode(byToken ? Arrays.copyOf(all, all.length - 1) : all);
        int cut = text.length();
        for (String st : stopStrings) {
          int at = text.indexOf(st);
          if (at >= 0) {
            cut = Math.min(cut, at);
          }
        }
        boolean byString = cut < text.length();
        if (byToken || byString || all.length >= d.request().sampling().maxTokens()) {
          text = text.substring(0, cut);
          int end = endOfTurn.isEmpty() ? -1 : text.indexOf(endOfTurn);
          if (end >= 0) {
            text = text.substring(0, end);
          }
          ReasoningParser.Parts parts = ReasoningParser.parseContent(text);
          String reason = byToken || byString ? Generation.STOP : Generation.LENGTH;
          out[idx.get(j)] = d.finish(new Completion(parts.reasoning(), parts.answer(), reason, prompts.get(j).length, all.length));
        } else {
          out[idx.get(j)] = d.next(prompts.get(j), all);
        }
      }
    }
    return List.of(out);
  }

  private static int[] concat(int[] a, int[] b) {
    int[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private record Key(double temperature, double topP, int topK, int maxTokens, List<String> stop) {}

  @Override
  public void close() {
    loaded.close();
    manager.close();
  }
}
