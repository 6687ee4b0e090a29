package dev.retort.pipelines.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.retort.model.ChatTemplate;
import dev.retort.model.CharTokenizer;
import dev.retort.model.Checkpoint;
import dev.retort.model.Generation;
import dev.retort.model.LoadedModel;
import dev.retort.model.ModelConfig;
import dev.retort.model.SamplingOptions;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort model init|score|generate}: make a random checkpoint, score token ids, sample.
 * Each prints one JSON object on stdout, so scripts and held-out checks can parse it.
 */
@Command(name = "model", mixinStandardHelpOptions = true,
    description = "Model utilities: init, score, generate.",
    subcommands = {ModelCommand.Init.class, ModelCommand.Score.class, ModelCommand.Generate.class})
public final class ModelCommand implements Callable<Integer> {
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "Missing subcommand: init, score or generate");
  }

  /** {@code model score}: element i of logprobs is log p(token i+1 | tokens 0..i). */
  @Command(name = "score", mixinStandardHelpOptions = true,
      description = "Print {\"logprobs\": [...]}: log p(token i+1 | tokens 0..i), n-1 values.")
  static final class Score implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder.")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
      @Option(names = "--token-ids", description = "Comma-separated token ids, e.g. 1,2,3.")
      String tokenIds;

      @Option(names = "--text", description = "Text, encoded with the checkpoint's tokenizer.")
      String text;
    }

    @Override
    public Integer call() throws Exception {
      try (NDManager m = NDManager.newBaseManager(); LoadedModel lm = Checkpoint.load(model, m)) {
        int[] ids;
        if (input.tokenIds != null) {
          ids = parseIds(input.tokenIds);
        } else {
          ids = requireTokenizer(lm).encode(input.text);
        }
        double[] lp = lm.sampler().logprobs(ids);
        JsonObject out = new JsonObject();
        JsonArray a = new JsonArray();
        for (double x : lp) {
          a.add(x);
        }
        out.add("logprobs", a);
        System.out.println(GSON.toJson(out));
        return 0;
      }
    }

    static int[] parseIds(String s) {
      String[] parts = s.split(",");
      int[] ids = new int[parts.length];
      for (int i = 0; i < parts.length; i++) {
        try {
          ids[i] = Integer.parseInt(parts[i].trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--token-ids: '" + parts[i] + "' is not an integer");
        }
      }
      return ids;
    }
  }

  /** {@code model generate}: one completion as JSON. */
  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Generate a continuation of --prompt; prints JSON with text and token ids.")
  static final class Generate implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder.")
    Path model;

    @Option(names = "--prompt", required = true, description = "Prompt text.")
    String prompt;

    @Option(names = "--chat", description = "Wrap the prompt in the chat template and stop at "
        + "<|im_end|>.")
    boolean chat;

    @Option(names = "--max-new-tokens", defaultValue = "128")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "0 = off.")
    int topK;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Option(names = "--stop", description = "Stop string (repeatable).")
    List<String> stop = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      try (NDManager m = NDManager.newBaseManager(); LoadedModel lm = Checkpoint.load(model, m)) {
        Tokenizer tok = requireTokenizer(lm);
        String text = chat ? ChatTemplate.QWEN.prompt(prompt) : prompt;
        List<Integer> stops = new ArrayList<>(lm.stopTokenIds());
        if (chat) {
          stops.add(ChatTemplate.QWEN.endTokenId(tok));
        }
        SamplingOptions opts = new SamplingOptions(maxNewTokens, temperature, topP, topK, seed,
            stops, stop);
        int[] ids = tok.encode(text);
        Generation g = lm.sampler().generate(List.of(ids), opts).get(0);
        JsonObject out = new JsonObject();
        out.addProperty("text", g.text());
        out.addProperty("finish_reason", g.finishReason());
        out.addProperty("prompt_tokens", g.promptTokens());
        out.addProperty("completion_tokens", g.completionTokens());
        JsonArray a = new JsonArray();
        for (int t : g.tokens()) {
          a.add(t);
        }
        out.add("token_ids", a);
        System.out.println(GSON.toJson(out));
        return 0;
      }
    }
  }

  /** {@code model init}: a seeded random-init checkpoint with a tokenizer. */
  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Write a randomly initialized checkpoint for an HF-style config.json.")
  static final class Init implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "HF-style config.json.")
    Path config;

    @Option(names = "--out", required = true, description = "Checkpoint folder to write.")
    Path out;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Option(names = "--charset", description = "Characters of the char-level tokenizer "
        + "(default: printable ASCII; newline is always added).")
    String charset;

    @Option(names = "--tokenizer", description = "Use this tokenizer.json instead of a char "
        + "tokenizer.")
    Path tokenizer;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or bf16.")
    String dtype;

    @Override
    public Integer call() throws Exception {
      if (charset != null && tokenizer != null) {
        throw new IllegalArgumentException("--charset and --tokenizer exclude each other");
      }
      DataType type = switch (dtype.toLowerCase(java.util.Locale.ROOT)) {
        case "f32", "float32" -> DataType.FLOAT32;
        case "bf16", "bfloat16" -> DataType.BFLOAT16;
        default -> throw new IllegalArgumentException("--dtype must be f32 or bf16, got " + dtype);
      };
      ModelConfig cfg = ModelConfig.read(config);
      Path tokDir = Files.createTempDirectory("retort-tokenizer");
      try {
        Path tokFile = tokenizer;
        if (tokFile == null) {
          String chars = charset == null ? CharTokenizer.DEFAULT_CHARSET
              : charset.contains("\n") ? charset : "\n" + charset;
          tokFile = tokDir.resolve("tokenizer.json");
          CharTokenizer.write(tokFile, chars, CharTokenizer.DEFAULT_SPECIAL_TOKENS);
        }
        try (Tokenizer tok = Tokenizer.load(tokFile); NDManager m = NDManager.newBaseManager()) {
          if (tok.vocabSize() > cfg.vocabSize()) {
            throw new IllegalArgumentException(config + ": vocab_size " + cfg.vocabSize()
                + " is smaller than the tokenizer's " + tok.vocabSize() + " ids");
          }
          if (cfg.eosTokenIds().isEmpty() || cfg.padTokenId() == null) {
            cfg = cfg.withSpecialTokens(cfg.bosTokenId(),
                cfg.eosTokenIds().isEmpty() && tok.eosId() != null ? List.of(tok.eosId())
                    : cfg.eosTokenIds(),
                cfg.padTokenId() == null ? tok.padId() : cfg.padTokenId());
          }
          Transformer model = Transformer.create(cfg, seed, m);
          Checkpoint.save(model, cfg, out, type, tok);
          JsonObject o = new JsonObject();
          o.addProperty("out", out.toAbsolutePath().toString());
          o.addProperty("model_type", cfg.modelType());
          o.addProperty("parameters", model.numParameters());
          o.addProperty("vocab_size", cfg.vocabSize());
          o.addProperty("tokenizer_vocab", tok.vocabSize());
          o.addProperty("seed", seed);
          System.out.println(GSON.toJson(o));
          return 0;
        }
      } finally {
        try (var s = Files.walk(tokDir)) {
          s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  static Tokenizer requireTokenizer(LoadedModel lm) {
    if (lm.tokenizer() == null) {
      throw new IllegalArgumentException("checkpoint " + lm.dir() + " has no tokenizer.json");
    }
    return lm.tokenizer();
  }
}
