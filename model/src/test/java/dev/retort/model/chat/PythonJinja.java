package dev.retort.model.chat;

import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs src/test/python/chat_reference.py (Python jinja2 configured as transformers configures it)
 * on a batch of cases in one process. Skips the calling test when python3 with jinja2 is missing,
 * except under CI=true, where that is a failure.
 */
final class PythonJinja {
  private PythonJinja() {}

  static final Path SCRIPT = Paths.get("src/test/python/chat_reference.py").toAbsolutePath();
  static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  /** One case: a template and its render context (null values are Python None). */
  record Case(String template, Map<String, Object> context) {}

  /** Python's result: output, or error as "ExceptionType: message". */
  record Result(String output, String error) {}

  static void requireJinja2() {
    dev.retort.model.PythonRef.require("jinja2");
  }

  static List<Result> render(List<Case> cases) throws IOException, InterruptedException {
    List<Map<String, Object>> json = new ArrayList<>();
    for (Case c : cases) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("template", c.template());
      m.put("context", c.context());
      json.add(m);
    }
    String out = dev.retort.model.PythonRef.run(List.of("python3", SCRIPT.toString()),
        GSON.toJson(Map.of("cases", json)));
    List<Result> results = GSON.fromJson(out, new TypeToken<List<Result>>() {}.getType());
    if (results.size() != cases.size()) {
      throw new IllegalStateException("chat_reference.py returned " + results.size() + " results for " + cases.size());
    }
    return results;
  }
}
