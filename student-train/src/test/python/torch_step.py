#!/usr/bin/env python3
"""Retort's SFT steps redone in PyTorch, for TorchStepParityTest:

    python torch_step.py INIT_DIR SFT_DIR RETORT_OUT_DIR SETTINGS_JSON

SETTINGS_JSON: {"steps", "lr", "beta1", "beta2", "eps", "weight_decay", "clip_norm", "max_length"}.
From the init checkpoint (transformers, fp32, eager attention), each step takes every SFT row at
once (rows tokenized by the TRL handoff's train_trl.sft_rows, which TrlEcosystemParityTest holds
equal to Retort's SftEncoder): the completion tokens' cross-entropy summed and divided by their
count, torch.nn.utils.clip_grad_norm_, then torch.optim.AdamW with weight decay on matrices only.
stdout: {"losses": [...], "grad_norms": [...], "max_weight_diff": d, "worst": name} against the
checkpoint Retort saved after the same steps.
"""
import json
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "main", "resources", "dev", "retort", "train", "handoff"))

import torch  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

import train_trl  # noqa: E402


def main():
    init, sft, retort_out, settings = sys.argv[1:5]
    cfg = json.loads(settings)
    torch.manual_seed(0)
    tok = train_trl.load_tokenizer(init)
    rows = train_trl.sft_rows(sft, tok, cfg["max_length"])
    model = AutoModelForCausalLM.from_pretrained(init, dtype=torch.float32, attn_implementation="eager")
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"])
    losses, norms = [], []
    for _ in range(cfg["steps"]):
        opt.zero_grad()
        total = torch.zeros((), dtype=torch.float32)
        count = sum(sum(r["completion_mask"][1:]) for r in rows)
        for r in rows:
            ids = torch.tensor([r["input_ids"]])
            mask = torch.tensor(r["completion_mask"][1:], dtype=torch.float32)
            logp = torch.log_softmax(model(ids).logits[0, :-1].float(), -1)
            nll = -logp.gather(1, ids[0, 1:, None])[:, 0]
            loss = (nll * mask).sum() / count
            loss.backward()
            total = total + loss.detach()
        norm = torch.nn.utils.clip_grad_norm_(params, cfg["clip_norm"]) if cfg["clip_norm"] > 0 else None
        opt.step()
        losses.append(float(total))
        norms.append(float(norm) if norm is not None else None)
    trained = AutoModelForCausalLM.from_pretrained(retort_out, dtype=torch.float32)
    ours = dict(trained.named_parameters())
    worst, name = 0.0, None
    for n, p in model.named_parameters():
        d = float((p.detach() - ours[n].detach()).abs().max())
        if d > worst:
            worst, name = d, n
    json.dump({"losses": losses, "grad_norms": norms, "max_weight_diff": worst, "worst": name}, sys.stdout)


if __name__ == "__main__":
    main()
