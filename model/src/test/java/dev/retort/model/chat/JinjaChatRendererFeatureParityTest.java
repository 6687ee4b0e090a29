package dev.retort.model.chat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.model.chat.PythonJinja.Case;
import dev.retort.model.chat.PythonJinja.Result;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each Python-compatibility feature as a one-line template, rendered by JinjaChatRenderer and by
 * Python jinja2 configured as transformers does: outputs (or raised messages) must be equal.
 */
class JinjaChatRendererFeatureParityTest {

  static Map<String, Object> context() {
    Map<String, Object> user = new LinkedHashMap<>();
    user.put("role", "user");
    user.put("content", "  Hello, World! <think>a</think> b  ");
    Map<String, Object> assistant = new LinkedHashMap<>();
    assistant.put("role", "assistant");
    assistant.put("content", null);
    assistant.put("reasoning_content", "why");
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("messages", List.of(user, assistant));
    ctx.put("s", "a,b,,c");
    ctx.put("ws", " \t one  two\nthree  ");
    ctx.put("l", List.of(3, 1, 2));
    ctx.put("d", new LinkedHashMap<>(Map.of("k", "v")));
    ctx.put("n", null);
    ctx.put("t", true);
    ctx.put("f", false);
    ctx.put("i", 7);
    ctx.put("x", 2.5);
    ctx.put("u", "Grüße 🌍");
    ctx.put("add_generation_prompt", true);
    return ctx;
  }

  static final List<String> SNIPPETS = List.of(
      // printing
      "{{ t }} {{ f }} {{ n }} {{ i }} {{ x }} {{ 1.0 }} {{ 10 / 4 }} {{ 7 // 2 }} {{ 2 ** 10 }} {{ 1e-5 }}",
      "{{ l }} {{ d }} {{ [1, 'a', none, true, 2.0] }} {{ {'q': \"it's\"} }}",
      "{{ undefined_var }}|{{ d.missing }}|{{ d['missing'] }}|{{ messages[0].nope }}",
      "{{ u }} {{ u|length }} {{ u[0] }} {{ u[-1] }}",
      // str methods
      "{{ s.split(',') }} {{ ws.split() }} {{ s.split(',', 1) }} {{ ws.split(none, 1) }} {{ s.rsplit(',', 1) }}",
      "[{{ ws.strip() }}] [{{ ws.lstrip() }}] [{{ ws.rstrip() }}] [{{ 'xxhixx'.strip('x') }}] [{{ '\\n\\nhi\\n'.lstrip('\\n') }}] [{{ 'hi!?'.rstrip('?!') }}]",
      "{{ s.startswith('a,') }} {{ s.endswith('c') }} {{ s.startswith(('z', 'a')) }} {{ 'HeLLo'.upper() }} {{ 'HeLLo'.lower() }}",
      "{{ 'hello big world'.title() }} {{ 'hELLO'.capitalize() }} {{ s.replace(',', ';') }} {{ s.replace(',', ';', 2) }}",
      "{{ s.find(',,') }} {{ s.find('z') }} {{ s.count(',') }} {{ '-'.join(['a', 'b']) }} {{ ', '.join(l|map('string')) }} {{ '{} and {}'.format('x', 1) }}",
      "{{ messages[0].content.split('</think>')[-1].lstrip() }}|{{ messages[0].content.split('</think>')[0].rstrip('\\n').split('<think>')[-1] }}",
      // slices
      "{{ l[::-1] }} {{ l[-1] }} {{ l[1:] }} {{ l[:-1] }} {{ l[::2] }} {{ l[-2:] }} {{ l[5:] }} {{ s[::-1] }} {{ s[1:3] }} {{ s[-3:] }} {{ u[::-1] }}",
      "{% for m in messages[::-1] %}{{ m.role }}{% endfor %} {{ (messages|length - 1) }} {{ messages[1:][0].role }}",
      // namespace and set
      "{% set ns = namespace(count=0, last=none, flag=false) %}{% for m in messages %}{% set ns.count = ns.count + 1 %}{% set ns.last = m.role %}{% endfor %}{{ ns.count }} {{ ns.last }} {{ ns.flag }}",
      "{% set ns = namespace(idx=messages|length - 1) %}{{ ns.idx }}",
      // loop
      "{% for v in l %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }};{% endfor %}",
      "{% for v in l %}{{ loop.previtem }}/{{ loop.nextitem }};{% endfor %}",
      "{% for v in l %}{% if v == 1 %}{% continue %}{% endif %}{% if v == 2 %}{% break %}{% endif %}{{ v }}{% endfor %}",
      "{% set found = false %}{% for v in l %}{% if v == 1 %}{% set found = true %}{% endif %}{% endfor %}{{ found }} "
          + "{% set x = 1 %}{% for v in l %}{% set x = x + v %}{{ x }},{% endfor %}{{ x }} {% for v in l %}{% if loop.first %}{% set y = 5 %}{% endif %}{{ y }}{% endfor %}",
      "{% for m in messages if m.role != 'user' %}{{ m.role }}{{ loop.length }}{% endfor %}|{% for v in [] %}x{% else %}empty{% endfor %}"
          + "|{% for a in l %}{% for b in l %}{% if b == 1 %}{% break %}{% endif %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}{{ loop.index }};{% endfor %}",
      "{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %} {% for k in d %}{{ k }}{% endfor %} {{ d.keys()|list }} {{ d.values()|list }}",
      // dict methods and membership
      "{{ d.get('k') }} {{ d.get('z') }} {{ d.get('z', 'dflt') }} {{ 'k' in d }} {{ 'z' not in d }} {{ 'b' in s }} {{ 3 in l }} {{ 4 not in l }}",
      "{{ 'reasoning_content' in messages[1] }} {{ messages[1].content is none }} {{ messages[0].missing is none }} {{ messages[0].missing is defined }}",
      // tests
      "{{ n is none }} {{ n is defined }} {{ zz is undefined }} {{ zz is defined }} {{ s is string }} {{ d is mapping }} {{ l is mapping }}",
      "{{ l is iterable }} {{ s is iterable }} {{ i is iterable }} {{ i is number }} {{ x is number }} {{ t is boolean }} {{ i is boolean }} {{ l is sequence }} {{ s is sequence }}",
      "{{ f is false }} {{ t is true }} {{ n is false }} {{ i is integer }} {{ x is float }} {{ zz is not defined }}",
      // filters
      "{{ l|length }} {{ s|length }} {{ d|length }} [{{ ws|trim }}] {{ d|items|list }} {{ s|list }} {{ l|first }} {{ l|last }} {{ l|join('-') }}",
      "{{ messages|selectattr('role', 'equalto', 'user')|list|length }} {{ messages|rejectattr('role', 'equalto', 'user')|map(attribute='role')|list }} {{ messages|map(attribute='role')|join(',') }}",
      "{{ zz|default('dflt') }} {{ n|default('dflt') }} {{ ''|default('dflt', true) }} {{ i|string }} {{ t|string }} {{ '42'|int + 1 }} {{ 'x'|int }} {{ x|int }}",
      "{{ 'hELLO wORLD'|capitalize }} {{ 'abc'|upper }} {{ 'ABC'|lower }} {{ 'aXbX'|replace('X', '-') }} {{ '<b>'|safe }} {{ 'a b'|title }} {{ l|reverse|list }}",
      "{{ ['a', 'code_interpreter', 'b']|reject('equalto', 'code_interpreter')|join(', ') }} {{ l|select('odd')|list }}",
      "{{ l|sum }} {{ [1.5, 2]|sum }} {{ l|max }} {{ l|min }} {{ ['b', 'A', 'c']|max }} {{ messages|map(attribute='role')|max }} {{ l|batch(2)|list }} {{ l|batch(2, 0)|list }}",
      // tojson as transformers defines it
      "{{ d|tojson }} {{ {'a': [1, 2.5, none, true], 'b': 'é \"q\" <x> \\\\ \\n'}|tojson }} {{ messages[1]|tojson }} {{ 'ü'|tojson }}",
      "{{ {'a': {'b': [1, {}], 'c': []}}|tojson(indent=2) }}",
      // generation tag, whitespace control
      "A{% generation %} body {{ t }} {% endgeneration %}B",
      "a  {%- if t -%}  b  {%- endif -%}  c\n  {% if t %}\n    d\n  {% endif %}\ne {#- note -#} f {{- ' g ' -}} h",
      "{% if t %}\nx{% endif %}\n{% for v in l %}\n  {{ v }}\n{% endfor %}\n",
      "a\n  {# comment #}\nb\n  {%+ if t %}c{% endif %}\n\t{% if t -%}\n  d\n{%- endif %}\n{{ 'e' }}\n{% if t %}\n f\n{% endif %}",
      "{% set x = 'v' %}{{ x }}\n    {% set y %}block {{ x }}{% endset %}[{{ y }}]{% raw %} {{ raw }} {% endraw %}",
      "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bo', '?') }}",
      // conditional expression, string ops
      "{{ 'yes' if t else 'no' }} {{ 'a' ~ 1 ~ none }} {{ 'a' + 'b' }} {{ [1] + [2] }}",
      "{{ 'a' ~ t ~ zz ~ x }} {{ 'ab' * 2 }} {{ 3 * 'x' }} {{ '%s-%d %r %%' % ('x', 3, 'q') }} {{ 'n=%s' % i }} {{ -7 % 3 }} {{ 7.5 % 2 }} {{ 1 + 2.5 }} {{ t + 1 }} {{ i * 2 }}",
      "{{ 'ends with one newline' }}\n",
      "crlf\r\nline {{ 'two' }}\r\n{% if t %}\r\nthree\r\n{% endif %}\r\n\n",
      // raise_exception
      "{% if messages[0].role != 'system' %}{{ raise_exception('Conversation must start with a system message: ' ~ messages[0].role) }}{% endif %}after");

  @Test
  void featuresMatchPythonJinja2() throws Exception {
    PythonJinja.requireJinja2();
    List<Case> cases = new ArrayList<>();
    for (String s : SNIPPETS) {
      cases.add(new Case(s, context()));
    }
    List<Result> python = PythonJinja.render(cases);
    List<String> mismatches = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      String actual;
      try {
        actual = JinjaChatRenderer.compile(SNIPPETS.get(i)).render(context());
      } catch (IllegalArgumentException e) {
        actual = "ERROR " + e.getMessage();
      }
      Result r = python.get(i);
      String want = r.error() != null ? "ERROR chat template: " + r.error().replaceFirst("^TemplateError: ", "") : r.output();
      if (!want.equals(actual)) {
        mismatches.add(SNIPPETS.get(i) + "\n--- python:\n" + want + "\n--- java:\n" + actual);
      }
    }
    assertTrue(mismatches.isEmpty(), mismatches.size() + " of " + cases.size() + " differ:\n\n" + String.join("\n\n", mismatches));
  }
}
