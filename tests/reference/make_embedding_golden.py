#!/usr/bin/env python3
"""make_embedding_golden.py: reference sentence embeddings for tests/embed-t.c.

Produces tests/golden/minilm-embed.bin with sentence-transformers itself (an
independent implementation: torch on the CPU, float32), so the C forward is
checked against the real thing, not against a re-implementation of ours.

The golden file carries no text: every item is keyed by (row, column) of the
source CSV, which the C test reads at run time.
  column 0, 1: field s1 / s2 of data row `row` (0-based, the file has no header)
  column 2:    a long text, the s1 and s2 fields of rows row .. row+LONG_ROWS-1
               joined by single spaces (longer than max_seq_length, so it
               exercises truncation at 256 tokens)

Format (little-endian):
  magic    8 bytes  "BBGOLD1\\0"
  version  u32      1
  count    u32      number of items
  dim      u32      embedding size
  name_len u32      then name_len bytes: the source file, relative to the
                    shared datasets root (e.g. "stsb/stsb-en-test.csv")
  items    count x { row u32, column u32, dim x float32 }

Run: /work/venv-ref/bin/python tests/reference/make_embedding_golden.py \
         [--model DIR] [--data ROOT] [--rows 300] [--out tests/golden/minilm-embed.bin]
"""
import argparse
import csv
import os
import struct
import sys

LONG_ROWS = 20          # rows joined into one long text (must match embed-t.c)
LONG_STARTS = (0, 300, 600, 900)
SOURCE = "stsb/stsb-en-test.csv"


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.reader(f)]


def long_text(rows, start):
    parts = []
    for r in rows[start:start + LONG_ROWS]:
        parts.extend([r[0], r[1]])
    return " ".join(parts)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.expanduser(
        "~/.cache/biasbench/models/all-MiniLM-L6-v2"))
    ap.add_argument("--data", default=os.path.join(top, "..", "shared", "datasets"))
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("--out", default=os.path.join(top, "tests", "golden", "minilm-embed.bin"))
    args = ap.parse_args()

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    rows = read_rows(os.path.join(args.data, SOURCE))
    keys, texts = [], []
    for i in range(args.rows):
        for c in (0, 1):
            keys.append((i, c))
            texts.append(rows[i][c])
    for s in LONG_STARTS:
        keys.append((s, 2))
        texts.append(long_text(rows, s))

    model = SentenceTransformer(args.model, device="cpu")
    assert model.max_seq_length == 256, model.max_seq_length
    emb = model.encode(texts, batch_size=32, convert_to_numpy=True,
                       show_progress_bar=False).astype(np.float32)
    n, dim = emb.shape

    name = SOURCE.encode()
    with open(args.out, "wb") as f:
        f.write(b"BBGOLD1\0")
        f.write(struct.pack("<IIII", 1, n, dim, len(name)))
        f.write(name)
        for (r, c), v in zip(keys, emb):
            f.write(struct.pack("<II", r, c))
            f.write(v.astype("<f4").tobytes())
    ntok = [len(model.tokenizer(t, truncation=True, max_length=256)["input_ids"]) for t in texts]
    print(f"wrote {args.out}: {n} items, dim {dim}, tokens min {min(ntok)} max {max(ntok)}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
