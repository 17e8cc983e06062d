#!/usr/bin/env python3
"""numpy_decoder.py: a from-scratch float64 numpy forward pass over GGUF files
(llama, qwen2, gpt2), independent of transformers, used to cross-check the
decoder goldens. It is also the plainest statement of what the GGUF tensors
mean, for whoever writes the C side:

  * GGUF shapes are listed ne0 first; gguf-py's numpy view is (ne1, ne0), i.e.
    the PyTorch (out_features, in_features) layout: y = W @ x.
  * llama: attn_q/attn_k rows were permuted by convert_hf_to_gguf.py, so RoPE
    rotates ADJACENT pairs (x[2i], x[2i+1]) of each head (ggml "NORM" mode).
    qwen2 (not permuted) rotates (x[i], x[i + d/2]) ("NEOX" mode). Both use
    theta_i = freq_base ** (-2i/d), angle = position * theta_i, positions 0..n-1.
  * gpt2: attn_qkv is one (3*n_embd, n_embd) matrix + bias, rows q then k then v;
    token_embd doubles as the output matrix (no output.weight); learned
    position_embd; LayerNorm with bias; GELU tanh approximation.
  * llama without output.weight (tied, SmolLM2 and tiny-llama) uses token_embd.

Usage (from the repository root):
    /work/venv/bin/python tests/reference/numpy_decoder.py tiny
        checks every ids= line of tests/golden/decoder-tiny-{llama,qwen2,gpt2,
        llama-q8_0}.txt against this forward pass on the matching GGUF
    /work/venv/bin/python tests/reference/numpy_decoder.py smollm2 [--n 20] [--gguf PATH]
        the same for the first N lines of decoder-smollm2-logprobs.txt
Prints the max |lp difference| and argmax agreement; exits 1 above 1e-4 nats.
"""
import argparse
import os
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


class Gguf:
    def __init__(self, path):
        self.r = GGUFReader(path)
        self.kv = {}
        for k, f in self.r.fields.items():
            if k.startswith("tokenizer.ggml.") and k not in ("tokenizer.ggml.pre",):
                continue
            try:
                self.kv[k] = f.contents()
            except Exception:
                pass
        self.t = {t.name: t for t in self.r.tensors}
        self.arch = self.kv["general.architecture"]
        self._cache = {}

    def hp(self, key, default=None):
        return self.kv.get("%s.%s" % (self.arch, key), default)

    def w(self, name):
        if name not in self._cache:
            t = self.t[name]
            a = dequantize(t.data, t.tensor_type).astype(np.float64)
            shape = tuple(int(x) for x in reversed(t.shape))
            self._cache[name] = a.reshape(shape)
        return self._cache[name]

    def has(self, name):
        return name in self.t


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def layer_norm(x, w, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def rope(x, base, mode):
    """x: (n, heads, d). mode "norm": pairs (2i, 2i+1); "neox": (i, i+d/2)."""
    n, _, d = x.shape
    inv = base ** (-np.arange(0, d, 2, dtype=np.float64) / d)  # d/2
    ang = np.arange(n, dtype=np.float64)[:, None] * inv[None, :]  # (n, d/2)
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    y = x.copy()
    if mode == "norm":
        a, b = x[..., 0::2], x[..., 1::2]
        y[..., 0::2] = a * c - b * s
        y[..., 1::2] = a * s + b * c
    else:
        a, b = x[..., : d // 2], x[..., d // 2:]
        y[..., : d // 2] = a * c - b * s
        y[..., d // 2:] = a * s + b * c
    return y


def attention(q, k, v):
    """q: (n, H, d), k/v: (n, Hkv, d); causal; GQA head h uses kv head h // (H/Hkv)."""
    n, H, d = q.shape
    rep = H // k.shape[1]
    k = np.repeat(k, rep, axis=1)
    v = np.repeat(v, rep, axis=1)
    s = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(d)
    s = s + np.triu(np.full((n, n), -np.inf), 1)[None]
    s = s - s.max(axis=-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=-1, keepdims=True)
    return np.einsum("hij,jhd->ihd", p, v).reshape(n, H * d)


def forward(g, ids):
    ids = np.asarray(ids)
    n = len(ids)
    H = g.hp("attention.head_count")
    L = g.hp("block_count")
    if g.arch in ("llama", "qwen2"):
        Hkv = g.hp("attention.head_count_kv", H)
        eps = g.hp("attention.layer_norm_rms_epsilon")
        base = g.hp("rope.freq_base", 10000.0)
        mode = "norm" if g.arch == "llama" else "neox"
        x = g.w("token_embd.weight")[ids]
        for i in range(L):
            p = "blk.%d." % i
            h = rms_norm(x, g.w(p + "attn_norm.weight"), eps)
            q = h @ g.w(p + "attn_q.weight").T
            k = h @ g.w(p + "attn_k.weight").T
            v = h @ g.w(p + "attn_v.weight").T
            if g.has(p + "attn_q.bias"):
                q = q + g.w(p + "attn_q.bias")
                k = k + g.w(p + "attn_k.bias")
                v = v + g.w(p + "attn_v.bias")
            d = q.shape[1] // H
            q = rope(q.reshape(n, H, d), base, mode)
            k = rope(k.reshape(n, Hkv, d), base, mode)
            v = v.reshape(n, Hkv, d)
            x = x + attention(q, k, v) @ g.w(p + "attn_output.weight").T
            h = rms_norm(x, g.w(p + "ffn_norm.weight"), eps)
            gate = h @ g.w(p + "ffn_gate.weight").T
            up = h @ g.w(p + "ffn_up.weight").T
            x = x + (gate / (1.0 + np.exp(-gate)) * up) @ g.w(p + "ffn_down.weight").T
        x = rms_norm(x, g.w("output_norm.weight"), eps)
    elif g.arch == "gpt2":
        eps = g.hp("attention.layer_norm_epsilon")
        x = g.w("token_embd.weight")[ids] + g.w("position_embd.weight")[np.arange(n)]
        for i in range(L):
            p = "blk.%d." % i
            h = layer_norm(x, g.w(p + "attn_norm.weight"), g.w(p + "attn_norm.bias"), eps)
            qkv = h @ g.w(p + "attn_qkv.weight").T + g.w(p + "attn_qkv.bias")
            E = x.shape[1]
            d = E // H
            q, k, v = (qkv[:, j * E:(j + 1) * E].reshape(n, H, d) for j in range(3))
            x = x + attention(q, k, v) @ g.w(p + "attn_output.weight").T + g.w(p + "attn_output.bias")
            h = layer_norm(x, g.w(p + "ffn_norm.weight"), g.w(p + "ffn_norm.bias"), eps)
            u = h @ g.w(p + "ffn_up.weight").T + g.w(p + "ffn_up.bias")
            u = 0.5 * u * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (u + 0.044715 * u ** 3)))
            x = x + u @ g.w(p + "ffn_down.weight").T + g.w(p + "ffn_down.bias")
        x = layer_norm(x, g.w("output_norm.weight"), g.w("output_norm.bias"), eps)
    else:
        raise ValueError(g.arch)
    out = g.w("output.weight") if g.has("output.weight") else g.w("token_embd.weight")
    logits = x @ out.T
    m = logits.max(axis=1, keepdims=True)
    lsm = logits - (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))
    return logits, lsm


def check(gguf_path, golden, limit_lines=None):
    g = Gguf(gguf_path)
    maxd, agree, total, n = 0.0, 0, 0, 0
    with open(golden) as f:
        f.readline()
        for line in f:
            parts = line.split()
            fields = dict(p.split("=", 1) for p in parts if "=" in p)
            if "ids" not in fields or "lp" not in fields or parts[0] in ("gen", "tok"):
                continue
            ids = [int(x) for x in fields["ids"].split(",")]
            lp = [float(x) for x in fields["lp"].split(",")] if fields["lp"] else []
            am = [int(x) for x in fields["am"].split(",")]
            _, lsm = forward(g, ids)
            mine = [lsm[k - 1, ids[k]] for k in range(1, len(ids))]
            if lp:
                maxd = max(maxd, float(np.max(np.abs(np.array(mine) - np.array(lp)))))
            my_am = lsm.argmax(axis=1)
            agree += int(sum(int(a) == b for a, b in zip(my_am, am)))
            total += len(am)
            n += 1
            if limit_lines and n >= limit_lines:
                break
    print("%s vs %s: %d seqs, max |dlp| %.3g, argmax %d/%d" % (gguf_path, golden, n, maxd, agree, total))
    return maxd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["tiny", "smollm2"])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--gguf", default=os.path.expanduser(
        "~/.cache/biasbench/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"))
    args = ap.parse_args()
    worst = 0.0
    if args.what == "tiny":
        for name, gg in (("llama", "tiny-llama.gguf"), ("llama-q8_0", "tiny-llama-q8_0.gguf"),
                         ("qwen2", "tiny-qwen2.gguf"), ("gpt2", "tiny-gpt2.gguf")):
            worst = max(worst, check("tests/data/models/" + gg,
                                     "tests/golden/decoder-tiny-%s.txt" % name))
    else:
        worst = check(args.gguf, "tests/golden/decoder-smollm2-logprobs.txt", args.n)
    sys.exit(1 if worst > 1e-4 else 0)


if __name__ == "__main__":
    main()
