package dev.retort.pipelines.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
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
    description = "Model utilities: init, score, render, tokenize, generate.",
    subcommands = {ModelCommand.Init.class, ModelCommand.Score.class, ModelCommand.Render.class,
        ModelCommand.Tokenize.class, ModelCommand.Generate.class})
public final class ModelCommand implements Callable<Integer> {
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "Missing subcommand: init, score, render, tokenize or generate");
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

  /** Options of the commands that render a chat with the checkpoint's own template (a picocli mixin). */
  static final class Chat {
    @Option(names = "--messages", description = "JSON file: a list of {role, content, ...} "
        + "messages, or an object with a \"messages\" list.")
    Path messages;

    @Option(names = "--template-kwargs", description = "JSON object of extra template "
        + "variables, e.g. {\"enable_thinking\": false}.")
    String kwargs;

    @Option(names = "--chat-template", description = "Jinja template file for a checkpoint "
        + "without one.")
    Path template;

    ChatTemplate template(Tokenizer tok) throws java.io.IOException {
      String override = template == null ? null : Files.readString(template);
      return tok.chatTemplate(override, "--chat-template");
    }

    String render(Tokenizer tok, boolean addGenerationPrompt) throws java.io.IOException {
      JsonElement root;
      try {
        root = JsonParser.parseString(Files.readString(messages));
      } catch (com.google.gson.JsonParseException e) {
        throw new IllegalArgumentException("--messages " + messages + ": not JSON: " + e.getMessage());
      }
      if (root.isJsonObject() && root.getAsJsonObject().has("messages")) {
        root = root.getAsJsonObject().get("messages");
      }
      if (!root.isJsonArray() || root.getAsJsonArray().isEmpty()) {
        throw new IllegalArgumentException("--messages " + messages
            + ": expected a non-empty list of {role, content} messages");
      }
      for (JsonElement m : root.getAsJsonArray()) {
        if (!m.isJsonObject() || !m.getAsJsonObject().has("role")) {
          throw new IllegalArgumentException("--messages " + messages + ": every message needs a role");
        }
      }
      JsonObject kw = null;
      if (kwargs != null) {
        try {
          kw = JsonParser.parseString(kwargs).getAsJsonObject();
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("--template-kwargs: not a JSON object: " + kwargs);
        }
      }
      return template(tok).render(root.getAsJsonArray(), addGenerationPrompt, kw);
    }
  }

  static JsonArray ids(int[] ids) {
    JsonArray a = new JsonArray();
    for (int t : ids) {
      a.add(t);
    }
    return a;
  }

  /** {@code model render}: the checkpoint's chat template applied to messages, and its ids. */
  @Command(name = "render", mixinStandardHelpOptions = true,
      description = "Print {\"text\", \"token_ids\"}: the messages rendered by the checkpoint's "
          + "own chat template (as transformers' apply_chat_template) and encoded without added "
          + "special tokens.")
  static final class Render implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder.")
    Path model;

    @CommandLine.Mixin
    Chat chat;

    @Option(names = "--add-generation-prompt", description = "End with the assistant header.")
    boolean addGenerationPrompt;

    @Override
    public Integer call() throws Exception {
      try (Tokenizer tok = Tokenizer.load(model)) {
        if (chat.messages == null) {
          throw new IllegalArgumentException("--messages is required");
        }
        String text = chat.render(tok, addGenerationPrompt);
        JsonObject out = new JsonObject();
        out.addProperty("text", text);
        out.add("token_ids", ids(tok.encode(text)));
        System.out.println(GSON.toJson(out));
        return 0;
      }
    }
  }

  /** {@code model tokenize}: ids of a text. */
  @Command(name = "tokenize", mixinStandardHelpOptions = true,
      description = "Print {\"token_ids\"}: --text encoded by the checkpoint's tokenizer without "
          + "added special tokens (special tokens written in the text map to their ids).")
  static final class Tokenize implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder.")
    Path model;

    @Option(names = "--text", required = true, description = "Text to encode.")
    String text;

    @Override
    public Integer call() throws Exception {
      try (Tokenizer tok = Tokenizer.load(model)) {
        JsonObject out = new JsonObject();
        out.add("token_ids", ids(tok.encode(text)));
        System.out.println(GSON.toJson(out));
        return 0;
      }
    }
  }

  /** {@code model generate}: one completion as JSON. */
  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Generate a continuation of --prompt (raw text) or of --messages (rendered by "
          + "the checkpoint's chat template with its generation prompt); prints JSON with text and "
          + "token ids. Stops at the checkpoint's eos ids (generation_config.json, config.json), "
          + "a --stop string, or --max-new-tokens.")
  static final class Generate implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder.")
    Path model;

    @Option(names = "--prompt", description = "Prompt text, used as it is.")
    String prompt;

    @CommandLine.Mixin
    Chat chat;

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
      if ((prompt == null) == (chat.messages == null)) {
        throw new IllegalArgumentException("give exactly one of --prompt and --messages");
      }
      try (NDManager m = NDManager.newBaseManager(); LoadedModel lm = Checkpoint.load(model, m)) {
        Tokenizer tok = requireTokenizer(lm);
        String text = prompt;
        if (chat.messages != null) {
          text = chat.render(tok, true);
        }
        List<Integer> stops = new ArrayList<>(lm.stopTokenIds());
        if (stops.isEmpty() && tok.eosId() != null) {
          stops.add(tok.eosId());
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
        out.add("token_ids", ids(g.tokens()));
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
