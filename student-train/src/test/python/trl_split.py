#!/usr/bin/env python3
"""Runs the TRL handoff's own prompt/turn split (train_trl.split_turn) on chat templates rendered
by Python jinja2 as transformers renders them (model/src/test/python/chat_reference.py), for
TrlSplitParityTest: the handoff must train on the same text as Retort's ChatTemplate.completion.

stdin: {"cases": [{"template", "bos_token", "eos_token", "messages", "content"}]}
stdout: a JSON list of {"prompt", "completion"} or {"error"} per case.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # nothing compiled into the source tree (the handoff's resources)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "model", "src", "test", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "main", "resources", "dev", "retort", "train", "handoff"))

import chat_reference  # noqa: E402
import train_trl  # noqa: E402


class TemplateTokenizer:
    """The part of a transformers tokenizer that split_turn uses: apply_chat_template(tokenize=False)."""

    def __init__(self, env, template, bos, eos):
        self.compiled = env.from_string(template)
        self.special = {k: v for k, v in (("bos_token", bos), ("eos_token", eos)) if v is not None}

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False):
        assert not tokenize
        return self.compiled.render(
            messages=messages, tools=None, documents=None, add_generation_prompt=add_generation_prompt, **self.special
        )


def main():
    env = chat_reference.environment()
    out = []
    for case in json.load(sys.stdin)["cases"]:
        tok = TemplateTokenizer(env, case["template"], case.get("bos_token"), case.get("eos_token"))
        try:
            prompt, completion = train_trl.split_turn(tok, case["messages"], case["content"])
            out.append({"prompt": prompt, "completion": completion})
        except SystemExit as e:
            out.append({"error": str(e)})
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
