#!/usr/bin/env python3
"""make_mpnet_golden.py: reference data for tests/mpnet-t.c (all-mpnet-base-v2).

Three files, none carrying public text (keys point into the sources, which
the C test re-reads at run time):

  tests/golden/mpnet-tokenizer-stsb-en-test.txt
  tests/golden/mpnet-tokenizer-hard-cases.txt
      Token ids from Hugging Face `tokenizers` (Tokenizer.from_file(
      model_dir/tokenizer.json), padding off, truncation at
      sentence_bert_config.json's max_seq_length, 384; tokenizer.json's own
      Fixed(128) padding and 128 truncation are ignored), in the format of
      make_tokenizer_golden.py (whose writer and source readers this reuses).

  tests/golden/mpnet-embed.bin
      Sentence embeddings from sentence-transformers itself (torch, CPU,
      float32), in make_embedding_golden.py's BBGOLD1 format: STS-B test rows
      0 .. ROWS-1, columns 0 and 1, then four long texts (column 2: the s1 and
      s2 fields of 20 rows joined by spaces, longer than 384 tokens). Beside
      it mpnet-embed.bin.meta: package versions, golden and model sha256.

  tests/golden/mpnet-buckets.txt
      transformers' MPNetEncoder.relative_position_bucket for every relative
      position -600 .. 600 (one line of 1201 bucket numbers after a header).

Run from the repository root:
    /work/venv-ref/bin/python tests/reference/make_mpnet_golden.py \
        [--model DIR] [--data ROOT] [--rows 110] [--out-dir tests/golden]
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import golden_io as gio  # noqa: E402  (the STS-B items and the BBGOLD1 writer)
import make_tokenizer_golden as mtg  # noqa: E402  (the shared golden writer/readers)

REL_RANGE = 600


def tokenizer_goldens(model, data, out_dir):
    from tokenizers import Tokenizer

    with open(os.path.join(model, "sentence_bert_config.json")) as f:
        max_len = json.load(f)["max_seq_length"]
    tj = os.path.join(model, "tokenizer.json")
    tok = Tokenizer.from_file(tj)
    tok.no_padding()
    tok.enable_truncation(max_len)
    mtg.MAX_LENGTH = max_len  # the header's max_length field
    sha = mtg.sha256_file(tj)
    stsb = os.path.join(data, gio.SOURCE)
    hard = os.path.join(os.path.dirname(os.path.dirname(HERE)), mtg.HARD)
    n = mtg.write_golden(os.path.join(out_dir, "mpnet-tokenizer-stsb-en-test.txt"), stsb, tok,
                         sha, mtg.stsb_sentences(stsb))
    n += mtg.write_golden(os.path.join(out_dir, "mpnet-tokenizer-hard-cases.txt"), hard, tok,
                          sha, mtg.hard_cases(hard))
    print("tokenizer: %d strings, max_length %d" % (n, max_len))


def embedding_golden(model_dir, data, rows_n, out):
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    rows = gio.read_rows(os.path.join(data, gio.SOURCE))
    keys, texts = gio.stsb_items(rows, rows_n)
    model = SentenceTransformer(model_dir, device="cpu")
    assert model.max_seq_length == 384, model.max_seq_length
    emb = model.encode(texts, batch_size=32, convert_to_numpy=True,
                       show_progress_bar=False).astype(np.float32)
    n, dim = gio.write_bbgold(out, keys, emb)
    gio.write_meta(out, model_dir, "tests/reference/make_mpnet_golden.py")
    ntok = [len(model.tokenizer(t, truncation=True, max_length=384)["input_ids"]) for t in texts]
    print("wrote %s: %d items, dim %d, tokens min %d max %d" % (out, n, dim, min(ntok), max(ntok)))


def bucket_golden(out):
    import torch
    import transformers
    from transformers.models.mpnet.modeling_mpnet import MPNetEncoder

    rel = torch.arange(-REL_RANGE, REL_RANGE + 1)
    b = MPNetEncoder.relative_position_bucket(rel)  # num_buckets 32, max_distance 128
    with open(out, "w", encoding="ascii", newline="\n") as f:
        f.write("# biasbench-mpnet-buckets v1 from=%d to=%d num_buckets=32 max_distance=128 "
                "transformers=%s\n" % (-REL_RANGE, REL_RANGE, transformers.__version__))
        f.write(" ".join(str(int(x)) for x in b) + "\n")
    print("wrote %s" % out)


def main():
    home = os.path.expanduser("~")
    models = os.environ.get("BIASBENCH_MODELS", os.path.join(home, ".cache/biasbench/models"))
    top = os.path.dirname(os.path.dirname(HERE))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(models, "all-mpnet-base-v2"))
    ap.add_argument("--data", default=os.path.join(top, "..", "shared", "datasets"))
    ap.add_argument("--rows", type=int, default=110)
    ap.add_argument("--out-dir", default=os.path.join(top, "tests", "golden"))
    args = ap.parse_args()
    tokenizer_goldens(args.model, args.data, args.out_dir)
    bucket_golden(os.path.join(args.out_dir, "mpnet-buckets.txt"))
    embedding_golden(args.model, args.data, args.rows,
                     os.path.join(args.out_dir, "mpnet-embed.bin"))


if __name__ == "__main__":
    main()
