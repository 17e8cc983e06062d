#!/usr/bin/env python3
"""make_gguf_fixture.py: write tests/data/gguf/pywriter.gguf with the `gguf`
Python package's own GGUFWriter (pip package gguf 0.19.0), so that
tests/gguf-t.c checks the C reader against the reference writer rather than
only against its own test writer: every metadata value type, arrays of
several element types, general.alignment 64, and small tensors of F32, F16,
BF16 and Q8_0/Q4_K (raw bytes, quantised with gguf.quants), plus
tests/data/gguf/pywriter.txt, the facts the test asserts (one per line).

Usage: python tests/reference/make_gguf_fixture.py [OUTDIR]
"""
import sys

import numpy as np
import gguf
from gguf import GGUFValueType as T

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/gguf"
path = f"{out}/pywriter.gguf"
rng = np.random.default_rng(8)

w = gguf.GGUFWriter(path, "tiny")
w.add_custom_alignment(64)  # sets general.alignment and the writer's padding
w.add_key_value("k.u8", 250, T.UINT8)
w.add_key_value("k.i8", -100, T.INT8)
w.add_key_value("k.u16", 65000, T.UINT16)
w.add_key_value("k.i16", -32000, T.INT16)
w.add_key_value("k.u32", 4000000000, T.UINT32)
w.add_key_value("k.i32", -2000000000, T.INT32)
w.add_key_value("k.f32", 0.25, T.FLOAT32)
w.add_key_value("k.bool", True, T.BOOL)
w.add_key_value("k.str", "héllo wörld", T.STRING)
w.add_key_value("k.u64", 2**50 + 3, T.UINT64)
w.add_key_value("k.i64", -(2**50) - 3, T.INT64)
w.add_key_value("k.f64", -1.0 / 3.0, T.FLOAT64)
w.add_key_value("k.arr_str", ["x", "", "<|im_end|>", "ü"], T.ARRAY, T.STRING)
w.add_key_value("k.arr_i32", [1, -2, 3], T.ARRAY, T.INT32)
w.add_key_value("k.arr_f32", [1.5, -0.5], T.ARRAY, T.FLOAT32)
w.add_key_value("k.arr_u8", [0, 255], T.ARRAY, T.UINT8)
w.add_key_value("k.arr_bool", [False, True, True], T.ARRAY, T.BOOL)

a = (np.arange(12, dtype=np.float32) - 6.0).reshape(3, 4)   # ggml ne {4, 3}
w.add_tensor("a", a)
b = np.arange(5, dtype=np.float16)
w.add_tensor("b", b)
c = rng.standard_normal((2, 32)).astype(np.float32)
cq = gguf.quants.quantize(c, gguf.GGMLQuantizationType.Q8_0)
w.add_tensor("c", cq, raw_shape=cq.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
d = rng.standard_normal((1, 256)).astype(np.float32)
# Q4_K: gguf.quants has no Q4_K quantiser; raw bytes of one 144-byte super-block
dq = rng.integers(0, 256, size=(1, 144), dtype=np.uint8)
dq[0, 0:4] = [0, 0x3c, 0, 0x3c]  # d = dmin = 1.0 (f16)
w.add_tensor("d", dq, raw_shape=dq.shape, raw_dtype=gguf.GGMLQuantizationType.Q4_K)
e = np.array([1.0, -2.0, 3.5], dtype=np.float32)
eb = gguf.quants.quantize(e, gguf.GGMLQuantizationType.BF16)
w.add_tensor("e", eb, raw_shape=eb.shape, raw_dtype=gguf.GGMLQuantizationType.BF16)

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

r = gguf.GGUFReader(path)
with open(f"{out}/pywriter.txt", "w") as f:
    for t in r.tensors:
        f.write(f"{t.name} {t.tensor_type.name.lower()} {list(map(int, t.shape))} "
                f"{int(t.data_offset)} {int(t.n_bytes)}\n")
print(path, sum(1 for _ in r.tensors), "tensors")
