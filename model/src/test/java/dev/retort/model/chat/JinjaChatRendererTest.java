package dev.retort.model.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Python-compatibility features one by one, without Python (expected values are jinja2's). */
class JinjaChatRendererTest {

  static String render(String template, Object... kv) {
    Map<String, Object> ctx = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      ctx.put((String) kv[i], kv[i + 1]);
    }
    return JinjaChatRenderer.compile(template).render(ctx);
  }

  static Map<String, Object> message(String role, Object content) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("content", content);
    return m;
  }

  @Test
  void printsAsPythonStr() {
    assertEquals("True False None 3 2.5 1.0 2.5", render("{{ t }} {{ f }} {{ n }} {{ i }} {{ x }} {{ 1.0 }} {{ 5 / 2 }}",
        "t", true, "f", false, "n", null, "i", 3, "x", 2.5));
    assertEquals("['a', None, True] {'k': 1}", render("{{ l }} {{ d }}", "l", java.util.Arrays.asList("a", null, true),
        "d", Map.of("k", 1)));
  }

  @Test
  void undefinedIsEmptyFalsyAndNotNone() {
    Map<String, Object> m = message("user", "hi");
    assertEquals("[] False False True", render(
        "[{{ m.missing }}] {{ m.missing is defined }} {{ m.missing is none }} {{ m.missing is undefined }}", "m", m));
    assertEquals("no", render("{% if nothing %}yes{% else %}no{% endif %}"));
    assertEquals("True True", render("{{ m.content is none }} {{ m.content is defined }}", "m", message("assistant", null)));
  }

  @Test
  void transformersArgumentsDefaultAsItPassesThem() {
    assertEquals("False None None False", render("{{ add_generation_prompt }} {{ tools }} {{ documents }} {{ tools is defined and tools is not none }}"));
  }

  @Test
  void concatenatingAnUndefinedValueFailsAsInJinja2() {
    Map<String, Object> m = message("user", "hi");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> render("{{ '<|start|>' + m['from'] + '<|end|>' }}", "m", m));
    assertTrue(e.getMessage().startsWith("chat template: "), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> render("{{ 'n=' + 1 }}"));
    assertEquals("<|start|>|", render("{{ '<|start|>' ~ m['from'] ~ '|' }}", "m", m));
  }

  @Test
  void stringMethods() {
    assertEquals("['a', 'b c'] ['x', 'y'] ['a', 'b,c']", render("{{ 'a b c'.split(none, 1) }} {{ ' x  y '.split() }} {{ 'a,b,c'.split(',', 1) }}"));
    assertEquals("[hi] [hi  ] [  hi] [hi]", render("[{{ '  hi  '.strip() }}] [{{ '  hi  '.lstrip() }}] [{{ '  hi  '.rstrip() }}] [{{ 'xxhixx'.strip('x') }}]"));
    assertEquals("True False HI hi Hello World a-b 3 1 2", render("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('b') }} "
        + "{{ 'hi'.upper() }} {{ 'HI'.lower() }} {{ 'hello world'.title() }} {{ 'a b'.replace(' ', '-') }} "
        + "{{ 'abcd'.find('d') }} {{ 'abc'.find('b') }} {{ 'aXbX'.count('X') }}"));
    assertEquals("answer", render("{{ c.split('</think>')[-1].lstrip('\\n') }}", "c", "<think>\nwhy\n</think>\n\nanswer"));
  }

  @Test
  void slicesWithNegativeIndicesAndSteps() {
    List<Integer> l = List.of(1, 2, 3, 4);
    assertEquals("[4, 3, 2, 1] 4 [2, 3, 4] [1, 2, 3] [1, 3] olleh lo", render(
        "{{ l[::-1] }} {{ l[-1] }} {{ l[1:] }} {{ l[:-1] }} {{ l[::2] }} {{ s[::-1] }} {{ s[-2:] }}", "l", l, "s", "hello"));
    assertEquals("cba", render("{% for m in l[::-1] %}{{ m }}{% endfor %}", "l", List.of("a", "b", "c")));
  }

  @Test
  void namespaceAttributesCanBeSetInLoops() {
    assertEquals("3 c", render("{% set ns = namespace(n=0, last=none) %}{% for v in l %}{% set ns.n = ns.n + 1 %}"
        + "{% set ns.last = v %}{% endfor %}{{ ns.n }} {{ ns.last }}", "l", List.of("a", "b", "c")));
  }

  @Test
  void loopVariablesAndLoopControls() {
    assertEquals("0|1|True|False|3|3|2|False|b;", render("{% for v in l %}{% if loop.first %}{{ loop.index0 }}|{{ loop.index }}|"
        + "{{ loop.first }}|{{ loop.last }}|{{ loop.length }}|{{ loop.revindex }}|{{ loop.revindex0 }}|"
        + "{{ loop.previtem is defined }}|{{ loop.nextitem }};{% endif %}{% endfor %}",
        "l", List.of("a", "b", "c")));
    assertEquals("a/b|b/c|c/|", render("{% for v in l %}{{ v }}/{{ loop.nextitem }}|{% endfor %}", "l", List.of("a", "b", "c")));
    assertEquals("ac", render("{% for v in l %}{% if v == 'b' %}{% continue %}{% endif %}{% if v == 'd' %}{% break %}{% endif %}"
        + "{{ v }}{% endfor %}", "l", List.of("a", "b", "c", "d", "e")));
  }

  @Test
  void membershipAndDictMethods() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("k", "v");
    assertEquals("True True True True v None x k=v ['k'] ['v']", render("{{ 'k' in d }} {{ 'z' not in d }} {{ 'ell' in 'hello' }} "
        + "{{ 2 in [1, 2] }} {{ d.get('k') }} {{ d.get('z') }} {{ d.get('z', 'x') }} "
        + "{% for a, b in d.items() %}{{ a }}={{ b }}{% endfor %} {{ d.keys()|list }} {{ d.values()|list }}", "d", d));
  }

  @Test
  void tests() {
    assertEquals("True True True True True True True True", render("{{ 's' is string }} {{ d is mapping }} {{ l is iterable }} "
        + "{{ 1 is number }} {{ true is boolean }} {{ l is sequence }} {{ n is none }} {{ f is false }}",
        "d", Map.of(), "l", List.of(), "n", null, "f", false));
  }

  @Test
  void filters() {
    List<Map<String, Object>> ms = List.of(message("system", "s"), message("user", "u1"), message("user", "u2"));
    assertEquals("3 user,user system|u2", render("{{ ms|length }} {{ ms|selectattr('role', 'equalto', 'user')|map(attribute='role')|join(',') }} "
        + "{{ (ms|rejectattr('role', 'equalto', 'user')|first).role }}|{{ (ms|last).content[:2] }}", "ms", ms));
    assertEquals("[x] dflt 42 True Abc ABC a-b", render("[{{ '  x '|trim }}] {{ missing|default('dflt') }} {{ '41'|int + 1 }} "
        + "{{ true|string }} {{ 'aBC'|capitalize }} {{ 'abc'|upper }} {{ 'a b'|replace(' ', '-') }}"));
    assertEquals("[('a', 1)]", render("{{ d|items|list }}", "d", Map.of("a", 1)));
  }

  @Test
  void tojsonAsTransformersDefinesIt() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("name", "Grüße \"x\" <b> 🌍");
    d.put("n", List.of(1, 2.5, true));
    d.put("z", null);
    assertEquals("{\"name\": \"Grüße \\\"x\\\" <b> 🌍\", \"n\": [1, 2.5, true], \"z\": null}", render("{{ d|tojson }}", "d", d));
    assertEquals("{\n  \"a\": [\n    1\n  ]\n}", render("{{ d|tojson(indent=2) }}", "d", Map.of("a", List.of(1))));
  }

  @Test
  void generationTagRendersItsBody() {
    assertEquals("<a>answer</a>", render("<a>{% generation %}{{ c }}{% endgeneration %}</a>", "c", "answer"));
  }

  @Test
  void whitespaceControlTrimAndLstripBlocks() {
    assertEquals("a\nb\n", render("a\n  {% if true %}\nb\n  {% endif %}\n"));
    assertEquals("x y", render("x {% if true %}y{% endif %}"));
    assertEquals("ab", render("a  {%- if true -%}  b  {%- endif %}"));
  }

  @Test
  void printedBracesAreText() {
    assertEquals("{{ x }} {% y %}", render("{{ c }}", "c", "{{ x }} {% y %}", "x", "no"));
  }

  @Test
  void raiseExceptionBecomesIllegalArgumentException() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> render(
        "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with a user turn') }}{% endif %}",
        "messages", List.of(message("assistant", "x"))));
    assertEquals("chat template: Conversation must start with a user turn", e.getMessage());
  }

  @Test
  void syntaxErrorsAreOneLineWithTheLine() {
    IllegalArgumentException unclosed = assertThrows(IllegalArgumentException.class,
        () -> JinjaChatRenderer.compile("line one\n{% for m in messages %}\n{{ m }}\n"));
    assertTrue(unclosed.getMessage().startsWith("chat template: syntax error at line "), unclosed.getMessage());
    assertFalse(unclosed.getMessage().contains("\n"), unclosed.getMessage());
    IllegalArgumentException badExpr = assertThrows(IllegalArgumentException.class,
        () -> JinjaChatRenderer.compile("ok\nok\n{{ messages[0]. }}"));
    assertTrue(badExpr.getMessage().startsWith("chat template: syntax error at line 3"), badExpr.getMessage());
    assertFalse(badExpr.getMessage().contains("\n"), badExpr.getMessage());
  }

  @Test
  void strftimeNowFormatsTheCurrentDate() {
    String before = PyLibrary.strftime(ZonedDateTime.now(), "%d %b %Y");
    String rendered = render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now is defined }}");
    String after = PyLibrary.strftime(ZonedDateTime.now(), "%d %b %Y");
    assertTrue(rendered.equals(before + "|True") || rendered.equals(after + "|True"), rendered);
    assertEquals("05 Mar 2024 Tuesday 14:07:09 PM", PyLibrary.strftime(
        ZonedDateTime.parse("2024-03-05T14:07:09Z"), "%d %b %Y %A %H:%M:%S %p"));
  }

  @Test
  void serializesAsItsSourceForSparkClosures() throws Exception {
    JinjaChatRenderer r = JinjaChatRenderer.compile(JinjaChatRendererParityTest.resource("deepseek_r1_distill.jinja"));
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(r);
    }
    JinjaChatRenderer copy;
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (JinjaChatRenderer) in.readObject();
    }
    Map<String, Object> ctx = Map.of("messages", List.of(message("user", "2+2?")), "add_generation_prompt", true,
        "bos_token", "<s>");
    assertEquals(r.render(ctx), copy.render(ctx));
    assertTrue(copy.render(ctx).endsWith("<think>\n"), copy.render(ctx));
  }

  @Test
  void concurrentRendersOfOneRendererAreIndependent() throws Exception {
    JinjaChatRenderer r = JinjaChatRenderer.compile(JinjaChatRendererParityTest.resource("qwen3.jinja"));
    List<Map<String, Object>> contexts = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int n = 1; n <= 8; n++) {
      List<Map<String, Object>> ms = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        ms.add(message(k % 2 == 0 ? "user" : "assistant", k % 2 == 0 ? "question " + k : "<think>r" + k + "</think>answer " + k));
      }
      Map<String, Object> ctx = new HashMap<>();
      ctx.put("messages", ms);
      ctx.put("add_generation_prompt", n % 2 == 1);
      ctx.put("enable_thinking", n % 3 != 0);
      contexts.add(ctx);
      expected.add(r.render(ctx));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> futures = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        final int offset = t;
        futures.add(pool.submit(() -> {
          int wrong = 0;
          for (int rep = 0; rep < 100; rep++) {
            int i = (offset + rep) % contexts.size();
            if (!r.render(contexts.get(i)).equals(expected.get(i))) {
              wrong++;
            }
          }
          return wrong;
        }));
      }
      for (Future<Integer> f : futures) {
        assertEquals(0, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
