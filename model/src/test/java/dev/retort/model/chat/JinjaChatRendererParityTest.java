package dev.retort.model.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.model.chat.PythonJinja.Case;
import dev.retort.model.chat.PythonJinja.Result;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each real chat template in src/test/resources/chat-templates/ rendered on a corpus of
 * conversations by JinjaChatRenderer and by Python jinja2 configured as transformers does
 * (src/test/python/chat_reference.py): outputs must be equal, byte for byte, and a template's
 * raise_exception must fail both with the same message.
 */
class JinjaChatRendererParityTest {
  static final String BOS_DS = "<｜begin▁of▁sentence｜>";
  static final String EOS_DS = "<｜end▁of▁sentence｜>";

  /** Template resource, and the special tokens its tokenizer_config.json defines. */
  record Family(String file, String bos, String eos, boolean tools) {}

  static final List<Family> FAMILIES = List.of(
      new Family("qwen2_5_instruct.jinja", null, "<|im_end|>", true),
      new Family("qwen3.jinja", null, "<|im_end|>", true),
      new Family("deepseek_v3.jinja", BOS_DS, EOS_DS, false),
      new Family("deepseek_r1_distill.jinja", BOS_DS, EOS_DS, false),
      new Family("llama3.jinja", "<|begin_of_text|>", "<|end_of_text|>", false),
      new Family("llama3_1_instruct.jinja", "<|begin_of_text|>", "<|eot_id|>", true),
      new Family("llama3_2_instruct.jinja", "<|begin_of_text|>", "<|eot_id|>", true));

  static String resource(String name) throws IOException {
    try (InputStream in = JinjaChatRendererParityTest.class.getResourceAsStream("/chat-templates/" + name)) {
      if (in == null) {
        throw new IOException("missing resource chat-templates/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static Map<String, Object> msg(String role, Object content) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("content", content);
    return m;
  }

  static Map<String, Object> with(Map<String, Object> m, String key, Object value) {
    Map<String, Object> copy = new LinkedHashMap<>(m);
    copy.put(key, value);
    return copy;
  }

  static final String TRICKY = "  braces {a} {{ not_a_var }} {% if x %}tag{% endif %} \"double\" 'single' back\\slash \\n\n"
      + "second line\twith tab  ";
  static final String UNICODE = "Grüße, 世界! Ünïcödé — emoji 🌍🚀 and ｜full-width｜";
  static final String THINK_ANSWER = "<think>\nLet me add 2 and 2.\nThat is 4.\n</think>\n\nThe answer is \\boxed{4}.";

  /** Named conversations; each is rendered with and without add_generation_prompt. */
  static Map<String, List<Map<String, Object>>> conversations() {
    Map<String, List<Map<String, Object>>> c = new LinkedHashMap<>();
    c.put("one user turn", List.of(msg("user", "What is 2+2?")));
    c.put("system + user", List.of(msg("system", "You are terse."), msg("user", "Hi")));
    c.put("multi-turn", List.of(msg("system", "Be helpful."), msg("user", "Hi"), msg("assistant", "Hello! How can I help?"),
        msg("user", "Add 2 and 2."), msg("assistant", "4"), msg("user", "Thanks")));
    c.put("assistant with think block", List.of(msg("user", "What is 2+2?"), msg("assistant", THINK_ANSWER),
        msg("user", "And 3+3?")));
    c.put("final assistant with think block", List.of(msg("user", "What is 2+2?"), msg("assistant", THINK_ANSWER)));
    c.put("reasoning_content field", List.of(msg("user", "What is 2+2?"),
        with(msg("assistant", "The answer is 4."), "reasoning_content", "2 plus 2 is 4."), msg("user", "Sure?")));
    c.put("final reasoning_content field", List.of(msg("user", "What is 2+2?"),
        with(msg("assistant", "The answer is 4."), "reasoning_content", "2 plus 2 is 4.")));
    c.put("null reasoning_content", List.of(msg("user", "Q"),
        with(msg("assistant", "A"), "reasoning_content", null)));
    c.put("non-ASCII and emoji", List.of(msg("system", UNICODE), msg("user", UNICODE), msg("assistant", UNICODE),
        msg("user", "🙂")));
    c.put("braces quotes backslashes newlines spaces", List.of(msg("system", TRICKY), msg("user", TRICKY),
        msg("assistant", TRICKY), msg("user", TRICKY)));
    c.put("empty content", List.of(msg("user", ""), msg("assistant", ""), msg("user", " ")));
    c.put("two system messages", List.of(msg("system", "First rule."), msg("system", "Second rule."), msg("user", "Hi")));
    c.put("only a closing think tag", List.of(msg("user", "Q"), msg("assistant", "reasoning\n</think>\n\nA"),
        msg("user", "Q2"), msg("assistant", "\n\n<think>\n\n</think>\n\n\nA2\n")));
    c.put("tool response as user text", List.of(msg("user", "Q"), msg("assistant", "A"),
        msg("user", "<tool_response>\n42\n</tool_response>")));
    return c;
  }

  static Map<String, Object> context(Family f, List<Map<String, Object>> messages, boolean addGenerationPrompt) {
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("messages", messages);
    ctx.put("add_generation_prompt", addGenerationPrompt);
    if (f.bos() != null) {
      ctx.put("bos_token", f.bos());
    }
    ctx.put("eos_token", f.eos());
    if (f.file().startsWith("llama3_")) {
      ctx.put("date_string", "26 Jul 2024");
    }
    return ctx;
  }

  static Map<String, Object> weatherTool() {
    Map<String, Object> location = Map.of("type", "string", "description", "City name, e.g. \"Paris\" or 東京");
    Map<String, Object> unit = Map.of("type", "string", "enum", List.of("celsius", "fahrenheit"));
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("location", location);
    props.put("unit", unit);
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("type", "object");
    params.put("properties", props);
    params.put("required", List.of("location"));
    Map<String, Object> fn = new LinkedHashMap<>();
    fn.put("name", "get_weather");
    fn.put("description", "Current weather; returns {temp: number}.");
    fn.put("parameters", params);
    return Map.of("type", "function", "function", fn);
  }

  static Map<String, Object> toolCall(String name, Object arguments) {
    Map<String, Object> fn = new LinkedHashMap<>();
    fn.put("name", name);
    fn.put("arguments", arguments);
    Map<String, Object> call = new LinkedHashMap<>();
    call.put("type", "function");
    call.put("function", fn);
    return call;
  }

  /** Tool conversations in the shape each family's template expects. */
  static List<Map<String, Object>> toolCases(Family f) {
    List<Map<String, Object>> out = new ArrayList<>();
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("location", "Paris");
    args.put("unit", "celsius");
    if (f.tools()) {
      List<Map<String, Object>> messages = List.of(msg("system", "Use tools."), msg("user", "Weather in Paris?"),
          with(msg("assistant", f.file().startsWith("llama") ? null : ""), "tool_calls", List.of(toolCall("get_weather", args))),
          msg("tool", "{\"temp\": 21.5}"), msg("assistant", "It is 21.5 °C."), msg("user", "Thanks"));
      for (boolean gen : new boolean[] {false, true}) {
        Map<String, Object> ctx = context(f, messages, gen);
        ctx.put("tools", List.of(weatherTool()));
        out.add(ctx);
      }
      Map<String, Object> noTools = context(f, messages, true);
      noTools.put("tools", null);
      out.add(noTools);
    } else if (f.file().startsWith("deepseek")) {
      List<Map<String, Object>> messages = List.of(msg("user", "Weather in Paris?"),
          with(msg("assistant", null), "tool_calls", List.of(toolCall("get_weather", "{\"location\": \"Paris\"}"),
              toolCall("get_weather", "{\"location\": \"Lyon\"}"))),
          msg("tool", "21"), msg("tool", "19"), msg("assistant", "Paris 21, Lyon 19."), msg("user", "Thanks"));
      out.add(context(f, messages, true));
      out.add(context(f, messages.subList(0, 4), true));
    }
    if (f.file().equals("llama3_1_instruct.jinja")) {
      Map<String, Object> ctx = context(f, List.of(msg("system", "Search."), msg("user", "Who won?"),
          with(msg("assistant", null), "tool_calls", List.of(toolCall("brave_search", Map.of("query", "who won"))))), true);
      ctx.put("builtin_tools", List.of("code_interpreter", "brave_search", "wolfram_alpha"));
      out.add(ctx);
      Map<String, Object> userTools = context(f, List.of(msg("user", "Weather in Paris?")), true);
      userTools.put("tools", List.of(weatherTool()));
      userTools.put("tools_in_user_message", false);
      out.add(userTools);
    }
    if (f.file().startsWith("qwen3")) {
      for (Object thinking : new Object[] {false, true}) {
        Map<String, Object> ctx = context(f, List.of(msg("user", "Hi")), true);
        ctx.put("enable_thinking", thinking);
        out.add(ctx);
      }
    }
    return out;
  }

  /** Cases that must raise in both: the template's own raise_exception rules. */
  static List<Map<String, Object>> raisingCases(Family f) {
    if (f.file().startsWith("llama3_")) {
      Map<String, Object> twoCalls = context(f, List.of(msg("user", "Weather?"), with(msg("assistant", null), "tool_calls",
          List.of(toolCall("get_weather", Map.of("location", "Paris")), toolCall("get_weather", Map.of("location", "Lyon"))))), true);
      Map<String, Object> noUser = context(f, List.of(msg("system", "only system")), true);
      noUser.put("tools", List.of(weatherTool()));
      return List.of(twoCalls, noUser);
    }
    return List.of();
  }

  @Test
  void realTemplatesRenderAsTransformersDoes() throws Exception {
    PythonJinja.requireJinja2();
    List<Case> cases = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    Map<String, Integer> perTemplate = new LinkedHashMap<>();
    for (Family f : FAMILIES) {
      String template = resource(f.file());
      int before = cases.size();
      for (Map.Entry<String, List<Map<String, Object>>> conv : conversations().entrySet()) {
        for (boolean gen : new boolean[] {false, true}) {
          cases.add(new Case(template, context(f, conv.getValue(), gen)));
          labels.add(f.file() + " / " + conv.getKey() + " / add_generation_prompt=" + gen);
        }
      }
      for (Map<String, Object> ctx : toolCases(f)) {
        cases.add(new Case(template, ctx));
        labels.add(f.file() + " / tools " + ctx.keySet());
      }
      for (Map<String, Object> ctx : raisingCases(f)) {
        cases.add(new Case(template, ctx));
        labels.add(f.file() + " / raises");
      }
      if (f.file().equals("llama3_2_instruct.jinja")) {
        Map<String, Object> today = context(f, List.of(msg("user", "What day is it?")), true);
        today.remove("date_string");
        cases.add(new Case(template, today));
        labels.add(f.file() + " / strftime_now date");
      }
      perTemplate.put(f.file(), cases.size() - before);
    }
    String javaDayBefore = PyLibrary.strftime(java.time.ZonedDateTime.now(), "%d %b %Y");
    List<Result> python = PythonJinja.render(cases);
    String javaDayAfter = PyLibrary.strftime(java.time.ZonedDateTime.now(), "%d %b %Y");
    int raised = 0;
    List<String> mismatches = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      Result expected = python.get(i);
      String actual;
      try {
        actual = JinjaChatRenderer.compile(c.template()).render(c.context());
      } catch (IllegalArgumentException e) {
        actual = "ERROR " + e.getMessage();
      }
      String want = expected.error() != null
          ? "ERROR chat template: " + expected.error().replaceFirst("^TemplateError: ", "")
          : expected.output();
      if (expected.error() != null) {
        raised++;
      }
      if (labels.get(i).endsWith("strftime_now date") && !javaDayBefore.equals(javaDayAfter)) {
        continue; // the day changed while the reference ran
      }
      if (!want.equals(actual)) {
        mismatches.add(labels.get(i) + "\n--- python:\n" + want + "\n--- java:\n" + actual);
      }
    }
    System.out.println("chat template parity cases per template: " + perTemplate + ", raising: " + raised);
    assertTrue(mismatches.isEmpty(), mismatches.size() + " of " + cases.size() + " differ:\n\n"
        + String.join("\n\n", mismatches));
    assertEquals(4, raised, "llama 3.1/3.2 each raise on two tool calls and on tools without a user message");
  }
}
