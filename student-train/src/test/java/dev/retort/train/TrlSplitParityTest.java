package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.retort.model.ChatMessage;
import dev.retort.model.ChatTemplate;
import dev.retort.model.PythonRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The TRL handoff trains on the same text as Retort's own trainer: train_trl.py's split of a row
 * into prompt and trained turn, run in Python on templates rendered by jinja2 as transformers
 * renders them, equals {@link ChatTemplate#prompt} and {@link ChatTemplate#completion} for the
 * real templates of Qwen2.5, Qwen3, DeepSeek-R1, DeepSeek-V3 and Llama-3.1.
 */
class TrlSplitParityTest {
  static final Path SCRIPT = Paths.get("src/test/python/trl_split.py").toAbsolutePath();
  static final Path TEMPLATES = Paths.get("../model/src/test/resources/chat-templates").toAbsolutePath();
  static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  /** Template file, bos_token, eos_token as the family's tokenizer_config.json gives them. */
  static final String[][] TEMPLATES_AND_TOKENS = {
      {"qwen2_5_instruct.jinja", null, "<|im_end|>"},
      {"qwen3.jinja", null, "<|im_end|>"},
      {"deepseek_r1_distill.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"},
      {"deepseek_v3.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"},
      {"llama3_1_instruct.jinja", "<|begin_of_text|>", "<|eot_id|>"},
  };

  @Test
  void handoffSplitsEveryRowAsRetortDoes() throws Exception {
    PythonRef.require("jinja2");
    List<List<ChatMessage>> chats = List.of(
        List.of(ChatMessage.user("What is 17 * 3?\nPlease reason step by step.")),
        List.of(ChatMessage.system("Be brief."), ChatMessage.user("Name  a prime {x}.  ")),
        List.of(ChatMessage.user("Ünïcödé ✓ question?")));
    List<String> contents = List.of(
        ChatTemplate.assistantContent("17 * 3 = 51.", "\\boxed{51}"),
        ChatTemplate.assistantContent("2 is prime.\n\nSo is 3.", "2"),
        "An answer without reasoning.");
    List<Map<String, Object>> cases = new ArrayList<>();
    List<String[]> expected = new ArrayList<>();
    for (String[] t : TEMPLATES_AND_TOKENS) {
      String source = Files.readString(TEMPLATES.resolve(t[0]));
      ChatTemplate template = ChatTemplate.of(source, t[1], t[2]);
      for (int i = 0; i < chats.size(); i++) {
        List<Map<String, String>> msgs = new ArrayList<>();
        for (ChatMessage m : chats.get(i)) {
          msgs.add(Map.of("role", m.role(), "content", m.content()));
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("template", source);
        c.put("bos_token", t[1]);
        c.put("eos_token", t[2]);
        c.put("messages", msgs);
        c.put("content", contents.get(i));
        cases.add(c);
        expected.add(new String[] {t[0] + " chat " + i, template.prompt(chats.get(i)),
            template.completion(chats.get(i), contents.get(i))});
      }
    }
    JsonArray results = run(cases);
    for (int k = 0; k < expected.size(); k++) {
      JsonObject r = results.get(k).getAsJsonObject();
      assertNull(r.get("error"), expected.get(k)[0] + ": " + r.get("error"));
      assertEquals(expected.get(k)[1], r.get("prompt").getAsString(), "prompt of " + expected.get(k)[0]);
      assertEquals(expected.get(k)[2], r.get("completion").getAsString(), "turn of " + expected.get(k)[0]);
    }
  }

  static JsonArray run(List<Map<String, Object>> cases) throws IOException, InterruptedException {
    return JsonParser.parseString(PythonRef.run(List.of("python3", SCRIPT.toString()),
        GSON.toJson(Map.of("cases", cases)))).getAsJsonArray();
  }
}
