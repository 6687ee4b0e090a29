#!/usr/bin/env python3
"""Reference chat-template renderer: Python jinja2 configured exactly as transformers does.

Used by JinjaChatRendererParityTest to check the Java renderer (JinjaChatRenderer):
    python3 chat_reference.py < cases.json > results.json
cases.json is {"cases": [{"template": "...", "context": {...}}, ...]}; the output is a JSON list
with one {"output": "..."} or {"error": "..."} per case, in order. One process renders all cases.

The environment mirrors transformers' src/transformers/utils/chat_template_utils.py
(`_cached_compile_jinja_template` / `_compile_jinja_template` and `render_jinja_template`):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
extensions=[AssistantTracker, jinja2.ext.loopcontrols]), its `tojson` filter override, and the
`raise_exception` and `strftime_now` globals. render_jinja_template calls
compiled_template.render(messages=..., tools=..., documents=..., add_generation_prompt=..., **kwargs)
where kwargs carry the tokenizer's special tokens (bos_token, eos_token, ...) and extra template
kwargs (enable_thinking, date_string, ...). Here the case's context supplies all of them; keys the
context lacks are not passed (undefined in the template), except tools, documents and
add_generation_prompt which transformers always passes (None, None, False by default).
"""
import json
import sys
from datetime import datetime

import jinja2
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment


class AssistantTracker(Extension):
    """transformers' {% generation %} tag; the tracking of indices is not needed here."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    @jinja2.pass_eval_context
    def _generation_support(self, context, caller):
        return caller()


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


def environment():
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(env, compiled, case):
    ctx = dict(case["context"])
    messages = ctx.pop("messages", [])
    tools = ctx.pop("tools", None)
    documents = ctx.pop("documents", None)
    add_generation_prompt = ctx.pop("add_generation_prompt", False)
    return compiled[case["template"]].render(
        messages=messages, tools=tools, documents=documents, add_generation_prompt=add_generation_prompt, **ctx
    )


def main():
    cases = json.load(sys.stdin)["cases"]
    env = environment()
    compiled = {}
    results = []
    for case in cases:
        try:
            if case["template"] not in compiled:
                compiled[case["template"]] = env.from_string(case["template"])
            results.append({"output": render(env, compiled, case)})
        except Exception as e:  # noqa: BLE001 - every failure is a result to compare
            results.append({"error": type(e).__name__ + ": " + str(e)})
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
