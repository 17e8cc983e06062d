#!/usr/bin/env python3
"""make_quant_golden.py: golden data for tests/quant-t.c.

For each ggml block type biasbench reads, random blocks (random bytes whose
f16 scale fields are replaced by finite random halves) and their float32
dequantisation by gguf.quants.dequantize; for the types gguf.quants can
quantise, also a random float32 row and gguf.quants.quantize's blocks.

File tests/golden/quant-<type>.bin, little-endian:
  magic "BBQG", u32 version (1), char[16] gguf package version (NUL padded),
  u32 bb_dtype (as src/backend/backend.h), u32 ggml type, u32 n (elements),
  u32 n_bytes (of the blocks),
  blocks[n_bytes], float32 dequantised[n],
  u32 has_quant (1 when a quantise section follows), then, if 1:
  u32 nq, float32 src[nq], u8 quantised[row bytes of nq]

Run: /work/venv/bin/python tests/reference/make_quant_golden.py [outdir]
"""
import importlib.metadata
import struct
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants
from gguf.constants import GGML_QUANT_SIZES

# bb_dtype values (src/backend/backend.h)
BB = {"f32": 0, "f16": 1, "bf16": 2, "q8_0": 4, "q4_0": 5, "q4_1": 6, "q5_0": 7,
      "q5_1": 8, "q4_k": 9, "q5_k": 10, "q6_k": 11}
GG = {"f32": T.F32, "f16": T.F16, "bf16": T.BF16, "q8_0": T.Q8_0, "q4_0": T.Q4_0,
      "q4_1": T.Q4_1, "q5_0": T.Q5_0, "q5_1": T.Q5_1, "q4_k": T.Q4_K, "q5_k": T.Q5_K,
      "q6_k": T.Q6_K}
# byte offsets of the f16 scale fields within a block
SCALES = {"q8_0": [0], "q4_0": [0], "q4_1": [0, 2], "q5_0": [0], "q5_1": [0, 2],
          "q4_k": [0, 2], "q5_k": [0, 2], "q6_k": [208]}
QUANTISABLE = ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "f16", "bf16", "f32"]


def finite_halves(rng, count):
    """Random finite halves: mostly modest magnitudes, some subnormals and large ones."""
    mag = rng.choice([1e-3, 1e-2, 0.1, 1.0, 30.0], size=count)
    v = (rng.standard_normal(count) * mag).astype(np.float16)
    sub = rng.random(count) < 0.05
    v[sub] = (rng.integers(1, 1024, size=sub.sum()).astype(np.uint16)).view(np.float16)
    big = rng.random(count) < 0.03
    v[big] = np.float16(60000.0) * np.sign(rng.standard_normal(big.sum())).astype(np.float16)
    zero = rng.random(count) < 0.03
    v[zero] = np.float16(0.0)
    return v


def blocks_for(name, rng, n):
    if name == "f32":
        v = rng.standard_normal(n).astype(np.float32) * 10
        v[:4] = [np.inf, -np.inf, 1e-45, -0.0]
        return v.view(np.uint8)
    if name == "f16":
        bits = rng.integers(0, 65536, size=n, dtype=np.uint32).astype(np.uint16)
        # no NaNs: numpy may convert them in hardware, which quiets signalling ones
        nan = (bits & 0x7c00) == 0x7c00
        bits[nan] &= 0xfc00  # becomes +-inf
        return bits.view(np.uint8)
    if name == "bf16":
        return rng.integers(0, 65536, size=n, dtype=np.uint32).astype(np.uint16).view(np.uint8)
    bs, ts = GGML_QUANT_SIZES[GG[name]]
    nb = n // bs
    raw = rng.integers(0, 256, size=(nb, ts), dtype=np.uint16).astype(np.uint8)
    for off in SCALES[name]:
        raw[:, off:off + 2] = finite_halves(rng, nb).view(np.uint8).reshape(nb, 2)
    return raw.reshape(-1)


def quant_section(name, rng, nq):
    x = (rng.standard_normal(nq) * rng.choice([0.01, 1.0, 50.0], size=nq)).astype(np.float32)
    x[:32] = 0.0              # an all-zero block
    x[32:64] = 1.5            # a constant block
    x[64:96] = np.linspace(-1, 1, 32, dtype=np.float32)
    if name == "f32":
        q = x.view(np.uint8)
    elif name == "f16":
        q = x.astype(np.float16).view(np.uint8)
    elif name == "bf16":
        q = quants.quantize(x, T.BF16) if T.BF16 in quants._type_traits else None
        q = np.asarray(q).view(np.uint8)
    else:
        q = quants.quantize(x, GG[name]).view(np.uint8)
    return x, np.ascontiguousarray(q).reshape(-1)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/golden"
    version = importlib.metadata.version("gguf")
    for i, name in enumerate(GG):
        rng = np.random.default_rng(20261206 + i)
        bs = GGML_QUANT_SIZES[GG[name]][0]
        n = 256 * 24 if bs > 1 else 4096
        blocks = blocks_for(name, rng, n)
        deq = quants.dequantize(blocks, GG[name]).astype(np.float32, copy=False).reshape(-1)
        assert deq.size == n, (name, deq.size)
        with open(f"{outdir}/quant-{name}.bin", "wb") as f:
            f.write(b"BBQG")
            f.write(struct.pack("<I", 1))
            f.write(version.encode().ljust(16, b"\0")[:16])
            f.write(struct.pack("<IIII", BB[name], int(GG[name]), n, blocks.size))
            f.write(blocks.tobytes())
            f.write(deq.astype("<f4").tobytes())
            if name in QUANTISABLE:
                nq = 32 * 64
                x, q = quant_section(name, rng, nq)
                f.write(struct.pack("<II", 1, nq))
                f.write(x.astype("<f4").tobytes())
                f.write(q.tobytes())
            else:
                f.write(struct.pack("<I", 0))
        print(f"quant-{name}.bin: {n} elements, {blocks.size} bytes")


if __name__ == "__main__":
    main()
