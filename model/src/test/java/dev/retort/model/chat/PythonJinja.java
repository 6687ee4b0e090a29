package dev.retort.model.chat;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
    boolean ok;
    try {
      Process p = new ProcessBuilder("python3", "-c", "import jinja2").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      ok = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ok = false;
    }
    if (!ok && "true".equals(System.getenv("CI"))) {
      fail("python3 with jinja2 is required when CI=true (pip install jinja2)");
    }
    assumeTrue(ok, "python3 with jinja2 not available: parity with transformers' renderer not checked");
  }

  static List<Result> render(List<Case> cases) throws IOException, InterruptedException {
    List<Map<String, Object>> json = new ArrayList<>();
    for (Case c : cases) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("template", c.template());
      m.put("context", c.context());
      json.add(m);
    }
    Process p = new ProcessBuilder("python3", SCRIPT.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(GSON.toJson(Map.of("cases", json)).getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("chat_reference.py failed: " + out);
    }
    List<Result> results = GSON.fromJson(out, new TypeToken<List<Result>>() {}.getType());
    if (results.size() != cases.size()) {
      throw new IllegalStateException("chat_reference.py returned " + results.size() + " results for " + cases.size());
    }
    return results;
  }
}
