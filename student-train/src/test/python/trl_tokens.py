#!/usr/bin/env python3
"""What the Python ecosystem makes of Retort's SFT data and token cache, for TrlEcosystemParityTest:

    python trl_tokens.py CHECKPOINT_DIR SFT_DIR ARROW_FILE MAX_LENGTH [CHAT_TEMPLATE_FILE]

stdout: {"trl": rows of train_trl.sft_rows (the handoff's tokenization, by transformers),
         "pyarrow": rows of the Arrow IPC file read by pyarrow.ipc.open_stream,
         "datasets": rows of the same file read by datasets.Dataset.from_file,
         "conversational": whether TRL reads the SFT Parquet's messages column as a conversation}
each row {"input_ids", "completion_mask"} (and "prompt_length" from the file).
"""
import glob
import json
import os
import sys

sys.dont_write_bytecode = True  # nothing compiled into the source tree (the handoff's resources)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "main", "resources", "dev", "retort", "train", "handoff"))

import datasets  # noqa: E402
import pyarrow.ipc  # noqa: E402
from trl.data_utils import is_conversational  # noqa: E402

import train_trl  # noqa: E402


def main():
    checkpoint, sft, arrow, max_length = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    tok = train_trl.load_tokenizer(checkpoint)
    if len(sys.argv) > 5:
        with open(sys.argv[5], encoding="utf-8") as f:
            tok.chat_template = f.read()
    trl_rows = [{"input_ids": r["input_ids"], "completion_mask": r["completion_mask"]} for r in train_trl.sft_rows(sft, tok, max_length)]
    with pyarrow.ipc.open_stream(arrow) as reader:
        table = reader.read_all()
    from_arrow = table.to_pylist()
    from_datasets = [dict(r) for r in datasets.Dataset.from_file(arrow)]
    files = sorted(f for f in glob.glob(os.path.join(sft, "**", "*.parquet"), recursive=True) if not os.path.basename(f).startswith((".", "_")))
    view = datasets.load_dataset("parquet", data_files=files, split="train")
    conversational = all(is_conversational({"messages": row["messages"]}) for row in view)
    json.dump({"trl": trl_rows, "pyarrow": from_arrow, "datasets": from_datasets, "conversational": conversational,
               "columns": view.column_names}, sys.stdout)


if __name__ == "__main__":
    main()
