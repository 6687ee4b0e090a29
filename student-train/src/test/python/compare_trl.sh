#!/usr/bin/env bash
# TRL against the in-process trainer on the same small run, for a GPU machine with the packages of
# the handoff's requirements.txt: the same init checkpoint, the same SFT rows, the same steps,
# schedule and optimizer settings; then both students evaluated side by side in one report.
#
#   student-train/src/test/python/compare_trl.sh [WORK_DIR]      (STEPS=60 by default)
#
# Last line: RESULT trl-parity djl_loss=... trl_loss=... rel_diff=... ok=true|false, comparing
# the mean training loss of the last 10 steps (ok: within 10%; the runs differ in data order, and
# TRL computes in bf16 where Retort trains in fp32, so step losses are noisy, window means are not).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
W="${1:-/tmp/retort-trl-parity}"
STEPS="${STEPS:-60}"
R="$ROOT/bin/retort"
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
  --set train.batch-size=8 --set train.seq-len=512 --set train.lr=1e-3 --set train.warmup-steps=5
  --set train.log-every=1 --set train.save-dtype=float32 --set train.checkpoint-every=0)

# 3. The in-process trainer, then TRL (train.trainer = trl runs launch.sh where GPUs are visible).
"$R" train "${COMMON[@]}" --data "$DATA" --out "$W/djl"
"$R" train "${COMMON[@]}" --set train.trainer=trl --data "$DATA" --out "$W/trl"

# 4. Both students in one eval report (arith test problems, greedy).
"$R" eval --set "run.work-dir=\"$W\"" --set run.run-id=eval \
  --set "eval.models=[{name=djl, checkpoint=\"$W/djl\"}, {name=trl, checkpoint=\"$W/trl\"}]" \
  --set "eval.benchmarks=[{name=arith, file=arith, template=plain, k=1, temperature=0, max-tokens=64, limit=100}]" \
  --set "eval.report-dir=\"$W/report\""

# 5. Losses of the last 10 steps, side by side.
python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
djl = [json.loads(l)["loss"] for l in open(f"{w}/djl/metrics.jsonl") if l.strip()]
state = json.load(open(f"{w}/trl/trl/model/trainer_state.json"))
trl = [r["loss"] for r in state["log_history"] if "loss" in r]
n = min(10, len(djl), len(trl))
a, b = sum(djl[-n:]) / n, sum(trl[-n:]) / n
rel = abs(a - b) / max(a, b)
print(f"steps: djl {len(djl)}, trl {len(trl)}; first losses djl {djl[0]:.4f} trl {trl[0]:.4f}")
print(f"RESULT trl-parity djl_loss={a:.4f} trl_loss={b:.4f} rel_diff={rel:.3f} ok={'true' if rel < 0.10 else 'false'}")
PY
