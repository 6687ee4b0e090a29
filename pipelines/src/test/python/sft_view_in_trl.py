#!/usr/bin/env python3
"""docs/real-models.md's TRL snippet, run: the SFT view (filter.sft-format = messages) loaded by
datasets and trained by TRL's SFTTrainer in its two conversational forms, for TrlStudentStageTest:

    python sft_view_in_trl.py SFT_DIR MODEL_DIR OUT_DIR

stdout: one JSON object {form: {"rows", "steps", "loss", "conversational"}} for "messages"
(conversational language modeling) and "prompt-completion" (loss on the assistant turn only).
The model's tokenizer is taken from its tokenizer.json as it is (train_trl.load_tokenizer: the
model here is a qwen2 with Retort's character tokenizer, which AutoTokenizer would rebuild).
"""
import contextlib
import glob
import json
import os
import sys

from datasets import load_dataset
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast
from trl import SFTConfig, SFTTrainer
from trl.data_utils import is_conversational


def main():
    sft, model_dir, out = sys.argv[1:4]
    files = sorted(glob.glob(os.path.join(sft, "*.parquet")))
    ds = load_dataset("parquet", data_files=files, split="train")
    chat = ds.select_columns(["messages"])
    forms = {
        "messages": chat,
        "prompt-completion": chat.map(
            lambda r: {"prompt": r["messages"][:1], "completion": r["messages"][1:]}, remove_columns=["messages"]
        ),
    }
    tok = PreTrainedTokenizerFast.from_pretrained(model_dir)
    result = {}
    with contextlib.redirect_stdout(sys.stderr):  # the Trainer prints its logs
        train_all(forms, model_dir, tok, out, result)
    json.dump(result, sys.stdout)


def train_all(forms, model_dir, tok, out, result):
    for name, data in forms.items():
        trainer = SFTTrainer(
            model=AutoModelForCausalLM.from_pretrained(model_dir),
            processing_class=tok,
            train_dataset=data,
            args=SFTConfig(output_dir=os.path.join(out, name), max_steps=2, per_device_train_batch_size=2, max_length=512,
                           use_cpu=True, report_to="none", save_strategy="no", logging_steps=1),
        )
        r = trainer.train()
        result[name] = {"rows": len(data), "steps": r.global_step, "loss": r.training_loss,
                        "conversational": is_conversational(data[0])}


if __name__ == "__main__":
    main()
