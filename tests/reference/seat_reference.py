#!/usr/bin/env python3
"""seat_reference.py: the SEAT/WEAT golden that tests/bias-t.c checks the
association task's statistics (src/tasks/bias.c over src/metrics/weat.c)
against, on real sentence embeddings of the shipped SEAT files.

Two steps, two virtual environments (wefe pins numpy 1.26):

  1. embed (sentence-transformers, /work/venv-ref): embed every item of the
     tests below with all-MiniLM-L6-v2 and write tests/golden/seat-minilm-emb.bin
         /work/venv-ref/bin/python tests/reference/seat_reference.py embed \
             --model ~/.cache/biasbench/models/all-MiniLM-L6-v2 \
             --data ../shared/datasets --out tests/golden/seat-minilm-emb.bin
  2. golden (WEFE 1.0.1, /work/venv-wefe): read those vectors, compute the
     reference numbers and write tests/golden/seat-minilm.txt
         /work/venv-wefe/bin/python tests/reference/seat_reference.py golden \
             --emb tests/golden/seat-minilm-emb.bin > tests/golden/seat-minilm.txt

Independent references (DESIGN.md):
- effect size and statistic from WEFE's public API (WEAT().run_query on a
  gensim KeyedVectors holding the vectors as float64). WEFE divides by
  np.std with ddof = 0; biasbench uses ddof = 1 (sent-bias, DESIGN.md), so
  es_ddof1 = es_wefe * sqrt((N - 1) / N), N = |X| + |Y|, and the script
  asserts that this equals sent-bias's formula computed directly;
- exact one-sided p-value with sent-bias's formula: every subset Xi of
  X u Y with |Xi| = |X| (itertools.combinations), count those whose
  statistic is >= the observed one (observed included, slack
  1e-12 * sum |s(w)| as weat.c), divided by C(N, |X|). Tests with
  C(N, |X|) > 100000 are "sampled": only their effect size is compared.

No text in the golden files (DESIGN.md): an item is (file, set, index), the
position of the string in the SEAT file's targ1/targ2/attr1/attr2 examples;
the C test reads the file at run time and checks the counts.

seat-minilm-emb.bin (little-endian):
  magic "BBSEAT1\\0", u32 version 1, u32 n_tests, u32 dim, then per test:
  u32 name_len, name (path under the shared datasets root),
  u32 nx, ny, na, nb, then (nx + ny + na + nb) x dim float32 (X, Y, A, B in
  file order).
"""
import argparse
import json
import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import exact_p, weat_checked  # noqa: E402  (shared with weat_reference.py)

TESTS = [
    "seat/tests/weat6.jsonl",
    "seat/tests/weat7.jsonl",
    "seat/tests/weat8.jsonl",
    "seat/tests/weat9.jsonl",
    "seat/tests/weat10.jsonl",
    "seat/tests/heilman_double_bind_likable_one_sentence.jsonl",
    "seat/tests/weat5.jsonl",
    "seat/tests/sent-weat9.jsonl",
]
SETS = ("targ1", "targ2", "attr1", "attr2")
BUDGET = 100000
MAGIC = b"BBSEAT1\0"


def cmd_embed(args):
    from sentence_transformers import SentenceTransformer
    import numpy as np

    model = SentenceTransformer(os.path.expanduser(args.model), device="cpu")
    with open(args.out, "wb") as f:
        dim = model.get_sentence_embedding_dimension()
        f.write(MAGIC + struct.pack("<III", 1, len(TESTS), dim))
        for name in TESTS:
            with open(os.path.join(args.data, name), encoding="utf-8") as jf:
                doc = json.load(jf)
            sets = [doc[k]["examples"] for k in SETS]
            enc = name.encode()
            f.write(struct.pack("<I", len(enc)) + enc)
            f.write(struct.pack("<IIII", *[len(s) for s in sets]))
            for s in sets:
                v = model.encode(s, batch_size=32, convert_to_numpy=True).astype(np.float32)
                assert v.shape == (len(s), dim)
                f.write(v.astype("<f4").tobytes())
            print(f"{name}: {[len(s) for s in sets]}", file=sys.stderr)


def read_emb(path):
    import numpy as np

    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == MAGIC
    ver, n_tests, dim = struct.unpack_from("<III", data, 8)
    assert ver == 1
    off = 20
    tests = []
    for _ in range(n_tests):
        (ln,) = struct.unpack_from("<I", data, off)
        off += 4
        name = data[off:off + ln].decode()
        off += ln
        sizes = struct.unpack_from("<IIII", data, off)
        off += 16
        mats = []
        for n in sizes:
            m = np.frombuffer(data, dtype="<f4", count=n * dim, offset=off).reshape(n, dim)
            off += 4 * n * dim
            mats.append(m.astype(np.float64))
        tests.append((name, mats))
    assert off == len(data)
    return dim, tests


def cmd_golden(args):
    import wefe

    dim, tests = read_emb(args.emb)
    out = sys.stdout
    out.write("BBSEATGOLD 1\n")
    out.write(f"# seat_reference.py: all-MiniLM-L6-v2 (sentence-transformers) vectors in "
              f"seat-minilm-emb.bin; WEFE {wefe.__version__} effect size (ddof 0) and statistic; "
              "ddof-1 effect size; exact p by itertools.combinations (sent-bias formula)\n")
    out.write("# test NAME nx ny na nb / es_ddof1 es_wefe_ddof0 statistic / "
              "p exact PARTITIONS COUNT_GE | p sampled\n")
    out.write(f"tests {len(tests)} dim {dim}\n")
    for name, (X, Y, A, B) in tests:
        es1, es0, stat, s = weat_checked(X, Y, A, B, "seat", 1e-10, name)
        nx, ny = len(X), len(Y)
        n = nx + ny
        out.write(f"test {name} {nx} {ny} {len(A)} {len(B)}\n")
        out.write(f"es {es1:.17g} {es0:.17g} {stat:.17g}\n")
        if math.comb(n, nx) <= BUDGET:
            parts, count = exact_p(s, nx)
            out.write(f"p exact {parts} {count}\n")
            pv = f"{count}/{parts} = {count / parts:.6g}"
        else:
            out.write("p sampled\n")
            pv = "sampled"
        print(f"{name}: es(ddof1)={es1:.6f} stat={stat:.6f} p={pv}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--model", default="~/.cache/biasbench/models/all-MiniLM-L6-v2")
    e.add_argument("--data", default="../shared/datasets")
    e.add_argument("--out", default="tests/golden/seat-minilm-emb.bin")
    g = sub.add_parser("golden")
    g.add_argument("--emb", default="tests/golden/seat-minilm-emb.bin")
    args = ap.parse_args()
    (cmd_embed if args.cmd == "embed" else cmd_golden)(args)


if __name__ == "__main__":
    main()
