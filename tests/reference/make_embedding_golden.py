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

Beside it, minilm-embed.bin.meta (golden_io.write_meta): the versions of
sentence-transformers, transformers and torch, and the sha256 of the golden
and of the model's model.safetensors; make check asserts both hashes.

Run: /work/venv-ref/bin/python tests/reference/make_embedding_golden.py \
         [--model DIR] [--data ROOT] [--rows 300] [--out tests/golden/minilm-embed.bin]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_io as gio  # noqa: E402  (the STS-B items and the BBGOLD1 writer)


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
    rows = gio.read_rows(os.path.join(args.data, gio.SOURCE))
    keys, texts = gio.stsb_items(rows, args.rows)

    model = SentenceTransformer(args.model, device="cpu")
    assert model.max_seq_length == 256, model.max_seq_length
    emb = model.encode(texts, batch_size=32, convert_to_numpy=True,
                       show_progress_bar=False).astype(np.float32)
    n, dim = gio.write_bbgold(args.out, keys, emb)
    gio.write_meta(args.out, args.model, "tests/reference/make_embedding_golden.py")
    ntok = [len(model.tokenizer(t, truncation=True, max_length=256)["input_ids"]) for t in texts]
    print(f"wrote {args.out}: {n} items, dim {dim}, tokens min {min(ntok)} max {max(ntok)}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
