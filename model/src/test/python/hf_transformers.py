#!/usr/bin/env python3
"""transformers itself on a checkpoint Retort wrote, with hf_reference.py's command line and output:
    python hf_transformers.py CHECKPOINT_DIR '[[1,2,3],[4,5]]'
prints {"logits": [[T x V] per sequence], "logprobs": [[T-1] per sequence]};
    python hf_transformers.py CHECKPOINT_DIR --greedy '{"ids": [...], "max_new_tokens": N, "eos": [...]}'
prints {"token_ids": [...]}: model.generate(do_sample=False) up to the first id in eos;
    python hf_transformers.py CHECKPOINT_DIR --render '{"messages": [...], "add_generation_prompt": true}'
prints {"text", "token_ids"}: the checkpoint's chat template applied by its tokenizer, and the ids.
AutoModelForCausalLM.from_pretrained in fp32 with eager attention (the reference semantics; a
bf16 file is widened on load), on the CPU, for the Python of bin/python-env.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM


def load(d):
    return AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()


def main():
    d = sys.argv[1]
    if sys.argv[2] == "--render":
        # The checkpoint's own chat template and special tokens, as transformers renders them; the
        # tokenizer from tokenizer.json as it is (AutoTokenizer rebuilds some families' tokenizers).
        from transformers import PreTrainedTokenizerFast

        req = json.loads(sys.argv[3])
        tok = PreTrainedTokenizerFast.from_pretrained(d)
        text = tok.apply_chat_template(req["messages"], tokenize=False, add_generation_prompt=req["add_generation_prompt"])
        ids = tok(text, add_special_tokens=False)["input_ids"]
        json.dump({"text": text, "token_ids": ids}, sys.stdout)
        return
    model = load(d)
    with torch.no_grad():
        if sys.argv[2] == "--greedy":
            req = json.loads(sys.argv[3])
            ids = torch.tensor([req["ids"]])
            out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                 max_new_tokens=req["max_new_tokens"], eos_token_id=req["eos"] or None,
                                 pad_token_id=(req["eos"] or [0])[0])
            new = out[0, ids.shape[1]:].tolist()
            json.dump({"token_ids": new}, sys.stdout)
            return
        out = {"logits": [], "logprobs": []}
        for ids in json.loads(sys.argv[2]):
            logits = model(torch.tensor([ids])).logits[0].double()
            out["logits"].append(logits.tolist())
            lsm = torch.log_softmax(logits, -1)
            out["logprobs"].append([float(lsm[i, ids[i + 1]]) for i in range(len(ids) - 1)])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
