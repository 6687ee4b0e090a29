#!/usr/bin/env python3
"""Independent numpy transcription of Hugging Face transformers' Qwen2/Qwen3/Llama forward pass (fp32).

Used by HfReferenceTest to check the Java model against HF semantics without torch:
    python3 hf_reference.py CHECKPOINT_DIR '[[1,2,3],[4,5]]'
prints {"logits": [[T x V] per sequence], "logprobs": [[T-1] per sequence]};
    python3 hf_reference.py CHECKPOINT_DIR --greedy '{"ids": [...], "max_new_tokens": N, "eos": [...]}'
prints {"token_ids": [...], "min_gap": G}: greedy decoding as transformers' generate does it.
Written from transformers' modeling_qwen2.py / modeling_qwen3.py / modeling_llama.py /
modeling_rope_utils.py / configuration_utils.py, not from the Java code: RMSNorm in fp32,
rotate_half RoPE, Qwen3's q_norm/k_norm (RMSNorm over head_dim, before RoPE), repeat_kv, eager
attention with finfo.min masking and fp32 softmax, SwiGLU MLP, tied or separate lm_head.
Config layouts of transformers v4 (rope_theta, rope_scaling) and v5 (rope_parameters) are read
as v5's PreTrainedConfig.convert_rope_params_to_dict does; weight tying follows v5's
PreTrainedModel.tie_weights on load (lm_head.weight and embed_tokens both saved with different
values: not tied; only lm_head.weight saved: the embedding takes it).
"""
import json
import math
import os
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = data[b:e]
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(raw, "<f4")
        elif dt == "BF16":
            arr = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        elif dt == "F16":
            arr = np.frombuffer(raw, "<f2").astype(np.float32)
        else:
            raise ValueError(dt)
        out[name] = arr.reshape(info["shape"]).astype(np.float32)
    return out


def read_weights(d):
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        files = sorted(set(json.load(open(idx))["weight_map"].values()))
        w = {}
        for f in files:
            w.update(read_safetensors(os.path.join(d, f)))
        return w
    return read_safetensors(os.path.join(d, "model.safetensors"))


def rope_parameters(cfg):
    # configuration_utils: rope_parameters = rope_scaling or rope_parameters or {};
    # rope_parameters.setdefault("rope_theta", kwargs.pop("rope_theta", default_theta))
    rp = dict(cfg.get("rope_scaling") or cfg.get("rope_parameters") or {})
    rp.setdefault("rope_theta", cfg.get("rope_theta", 10000.0))
    rp.setdefault("rope_type", rp.get("type", "default"))
    return rp


def inv_freq(cfg, dim):
    # modeling_rope_utils._compute_default_rope_parameters (+ _compute_llama3_parameters)
    rs = rope_parameters(cfg)
    base = rs["rope_theta"]
    inv = (1.0 / (np.float32(base) ** (np.arange(0, dim, 2, dtype=np.int64).astype(np.float32) / np.float32(dim)))).astype(np.float32)
    rtype = rs["rope_type"]
    if rtype == "default":
        return inv
    assert rtype == "llama3", rtype
    factor = rs["factor"]
    low = rs["low_freq_factor"]
    high = rs["high_freq_factor"]
    old = rs["original_max_position_embeddings"]
    low_wavelen = old / low
    high_wavelen = old / high
    wavelen = 2 * math.pi / inv
    inv_l = np.where(wavelen > low_wavelen, inv / factor, inv)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return np.where(medium, smoothed, inv_l).astype(np.float32)


def rms_norm(x, w, eps):
    var = np.mean(np.square(x), axis=-1, keepdims=True)
    return w * (x * (1.0 / np.sqrt(var + np.float32(eps)))).astype(np.float32)


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def linear(x, w, b=None):
    y = x @ w.T
    return y if b is None else y + b


def lm_head(cfg, W):
    # PreTrainedModel.tie_weights(missing_keys) during from_pretrained (transformers v5)
    embed = W.get("model.embed_tokens.weight")
    head = W.get("lm_head.weight")
    if not cfg.get("tie_word_embeddings", False):
        return embed, head
    if embed is None:
        return head, head
    if head is not None and not np.array_equal(embed, head):
        return embed, head
    return embed, embed


def forward(cfg, W, ids):
    mt = cfg["model_type"]
    qwen2 = mt == "qwen2"
    qwen3 = mt == "qwen3"
    assert mt in ("qwen2", "qwen3", "llama"), mt
    D = cfg["hidden_size"]
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    # Qwen3Config: head_dim defaults to 128; Qwen2/Llama attention: getattr(config, "head_dim", D // H)
    hd = cfg.get("head_dim", 128 if qwen3 else None) or D // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    qkv_bias = qwen2 or cfg.get("attention_bias", False)
    o_bias = (not qwen2) and cfg.get("attention_bias", False)
    mlp_bias = mt == "llama" and cfg.get("mlp_bias", False)
    embed, head = lm_head(cfg, W)
    T = len(ids)
    x = embed[np.array(ids)]
    freqs = np.outer(np.arange(T, dtype=np.float32), inv_freq(cfg, hd)).astype(np.float32)
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    mask = np.triu(np.full((T, T), np.finfo(np.float32).min, dtype=np.float32), k=1)
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        g = lambda n: W.get(p + n)
        h = rms_norm(x, g("input_layernorm.weight"), eps)
        q = linear(h, g("self_attn.q_proj.weight"), g("self_attn.q_proj.bias") if qkv_bias else None)
        k = linear(h, g("self_attn.k_proj.weight"), g("self_attn.k_proj.bias") if qkv_bias else None)
        v = linear(h, g("self_attn.v_proj.weight"), g("self_attn.v_proj.bias") if qkv_bias else None)
        q = q.reshape(T, H, hd)
        k = k.reshape(T, KV, hd)
        if qwen3:  # Qwen3Attention: q_norm/k_norm on the head_dim axis of (T, heads, hd)
            q = rms_norm(q, g("self_attn.q_norm.weight"), eps)
            k = rms_norm(k, g("self_attn.k_norm.weight"), eps)
        q = q.transpose(1, 0, 2)
        k = k.transpose(1, 0, 2)
        v = v.reshape(T, KV, hd).transpose(1, 0, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = np.repeat(k, H // KV, axis=0)  # repeat_kv: head h uses kv head h // n_rep
        v = np.repeat(v, H // KV, axis=0)
        scores = (q @ k.transpose(0, 2, 1)) * np.float32(hd ** -0.5) + mask
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs = probs / probs.sum(axis=-1, keepdims=True)
        a = (probs @ v).transpose(1, 0, 2).reshape(T, H * hd)
        x = x + linear(a, g("self_attn.o_proj.weight"), g("self_attn.o_proj.bias") if o_bias else None)
        h = rms_norm(x, g("post_attention_layernorm.weight"), eps)
        gate = linear(h, g("mlp.gate_proj.weight"), g("mlp.gate_proj.bias") if mlp_bias else None)
        up = linear(h, g("mlp.up_proj.weight"), g("mlp.up_proj.bias") if mlp_bias else None)
        act = gate / (1.0 + np.exp(-gate))
        x = x + linear(act * up, g("mlp.down_proj.weight"), g("mlp.down_proj.bias") if mlp_bias else None)
    x = rms_norm(x, W["model.norm.weight"], eps)
    return (x @ head.T).astype(np.float32)


def greedy(cfg, W, ids, max_new_tokens, eos):
    """transformers' greedy generate: argmax of the last position's logits until an eos id or the limit.
    Also returns the smallest gap between the best and second-best logit over the steps, so a caller
    can tell a well-posed comparison from a near tie."""
    ids = list(ids)
    out, gap = [], float("inf")
    for _ in range(max_new_tokens):
        last = forward(cfg, W, ids)[-1].astype(np.float64)
        top = np.argsort(last)[-2:]
        gap = min(gap, float(last[top[1]] - last[top[0]]))
        nxt = int(top[1])
        out.append(nxt)
        ids.append(nxt)
        if nxt in eos:
            break
    return {"token_ids": out, "min_gap": gap}


def main():
    d = sys.argv[1]
    if sys.argv[2] == "--greedy":
        cfg = json.load(open(os.path.join(d, "config.json")))
        req = json.loads(sys.argv[3])
        json.dump(greedy(cfg, read_weights(d), req["ids"], req["max_new_tokens"], set(req["eos"])), sys.stdout)
        return
    seqs = json.loads(sys.argv[2])
    cfg = json.load(open(os.path.join(d, "config.json")))
    W = read_weights(d)
    out = {"logits": [], "logprobs": []}
    for ids in seqs:
        logits = forward(cfg, W, ids).astype(np.float64)
        out["logits"].append(logits.tolist())
        z = logits - logits.max(axis=-1, keepdims=True)
        lsm = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        out["logprobs"].append([float(lsm[i, ids[i + 1]]) for i in range(len(ids) - 1)])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
