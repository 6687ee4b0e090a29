#!/usr/bin/env bash
# TRL against the in-process trainer on the same small run: the same init checkpoint, the same SFT
# rows, the same steps, batch layout, schedule and optimizer settings, three seeds each; then every
# final model's loss on all the SFT rows, computed by transformers for both (so both checkpoints are
# also loaded by transformers), and the seed-1 students side by side in one eval report.
#
#   student-train/src/test/python/compare_trl.sh [WORK_DIR]      (STEPS=60, SEEDS="1 2 3")
#   DEVICES=cpu ...   both trainers on the CPU (TRL in one process); default auto: TRL on the GPUs
# Needs a Python with the handoff's packages: RETORT_PYTHON, or bin/python-env's .venv.
#
# Batches: one sample per row for both (packed rows of 400 tokens hold one of these 203-261 token
# samples each, and TRL pads one sample per row), 8 per step, in a random order per seed. Last
# line: RESULT trl-parity djl_loss=... trl_loss=... (means over seeds) diff=... noise=... ok=...,
# ok when the difference of the means is within 3 standard errors of the seed-to-seed spread.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
W="${1:-/tmp/retort-trl-parity}"
STEPS="${STEPS:-60}"
SEEDS="${SEEDS:-1 2 3}"
R="$ROOT/bin/retort"
PY="${RETORT_PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || { echo "compare_trl.sh: no Python with TRL at $PY; run bin/python-env or set RETORT_PYTHON" >&2; exit 1; }
export RETORT_PYTHON="$PY"
rm -rf "$W"
mkdir -p "$W"

# 1. 400 arith SFT rows (the train benchmark writes them into its kept work folder).
"$R" bench train --steps 1 --warmup 0 --samples 400 --work "$W/bench" --keep \
  --set model.hidden-size=64 --set model.num-layers=1 --set model.num-heads=2 --set model.num-kv-heads=1 \
  --set model.intermediate-size=128
DATA="$W/bench/sft"

# 2. One random-init checkpoint both trainers start from (qwen2, ~3M parameters, char tokenizer).
cat > "$W/config.json" <<'JSON'
{"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 128, "hidden_size": 256,
 "intermediate_size": 768, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
 "max_position_embeddings": 1024, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": true,
 "torch_dtype": "float32"}
JSON
"$R" model init --config "$W/config.json" --out "$W/init" --seed 7

COMMON=(--set "train.init-from=\"$W/init\"" --set train.max-steps="$STEPS" --set train.epochs=100
  --set train.devices="${DEVICES:-auto}" --set train.batch-size=8 --set train.seq-len=400 --set train.batching=packed
  --set train.lr=1e-3 --set train.warmup-steps=5 --set train.log-every=1 --set train.save-dtype=float32
  --set train.checkpoint-every=0)

# 3. The in-process trainer, then TRL (train.trainer = trl runs launch.sh), per seed.
for s in $SEEDS; do
  "$R" train "${COMMON[@]}" --set train.seed="$s" --data "$DATA" --out "$W/djl-$s"
  "$R" train "${COMMON[@]}" --set train.seed="$s" --set train.trainer=trl --data "$DATA" --out "$W/trl-$s"
done
FIRST="${SEEDS%% *}"

# 4. The first seed's students in one eval report (arith test problems, greedy).
"$R" eval --set "run.work-dir=\"$W\"" --set run.run-id=eval \
  --set "eval.models=[{name=djl, checkpoint=\"$W/djl-$FIRST\"}, {name=trl, checkpoint=\"$W/trl-$FIRST\"}]" \
  --set "eval.benchmarks=[{name=arith, file=arith, template=plain, k=1, temperature=0, max-tokens=64, limit=100}]" \
  --set "eval.report-dir=\"$W/report\""

# 5. Every final model's mean completion loss on all SFT rows, by transformers.
"$PY" - "$ROOT" "$W" "$DATA" $SEEDS <<'PY'
import json, math, os, sys
root, w, data, seeds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(root, "student-train/src/main/resources/dev/retort/train/handoff"))
import torch
import train_trl
from transformers import AutoModelForCausalLM

template = json.load(open(f"{w}/trl-{seeds[0]}/trl/retort_sft.json"))["chat_template"]
tok = train_trl.load_tokenizer(f"{w}/init")
tok.chat_template = template
rows = train_trl.sft_rows(data, tok, 512)

def loss(model_dir):
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    total = count = 0.0
    with torch.no_grad():
        for r in rows:
            ids = torch.tensor([r["input_ids"]])
            mask = torch.tensor(r["completion_mask"][1:], dtype=torch.bool)
            logp = torch.log_softmax(model(ids).logits[0, :-1].float(), -1)
            nll = -logp.gather(1, ids[0, 1:, None])[:, 0]
            total += nll[mask].sum().item()
            count += mask.sum().item()
    return total / count

def stats(xs):
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else float("nan")
    return m, sd

djl = [loss(f"{w}/djl-{s}") for s in seeds]
trl = [loss(f"{w}/trl-{s}") for s in seeds]
init = loss(f"{w}/init")
for s, a, b in zip(seeds, djl, trl):
    print(f"seed {s}: djl {a:.4f} trl {b:.4f}")
(ma, sa), (mb, sb) = stats(djl), stats(trl)
noise = math.sqrt(sa ** 2 / len(djl) + sb ** 2 / len(trl))
diff = mb - ma
ok = abs(diff) <= 3 * noise
print(f"RESULT trl-parity djl_loss={ma:.4f} trl_loss={mb:.4f} djl_sd={sa:.4f} trl_sd={sb:.4f} init_loss={init:.4f}"
      f" diff={diff:.4f} noise={noise:.4f} seeds={len(seeds)} ok={'true' if ok else 'false'}")
PY
