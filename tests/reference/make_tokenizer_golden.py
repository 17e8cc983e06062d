#!/usr/bin/env python3
"""make_tokenizer_golden.py: token-id goldens for tests/tokenizer-t.c.

Encodes every sentence of STS-B's test split (s1 and s2 of each row) and every
case of tests/data/tokenizer-hard-cases.txt with Hugging Face `tokenizers`
(the independent reference), the way biasbench must: Tokenizer.from_file(
model_dir/tokenizer.json), no padding, truncation at 256 (sentence-transformers'
max_seq_length for all-MiniLM-L6-v2; tokenizer.json's own 128 is ignored).

Writes, per source, tests/golden/tokenizer-<source>.txt:
    # biasbench-tokenizer-golden v1 source=... count=N max_length=256 \
      tokenizer_sha256=... source_sha256=... tokenizers=X.Y.Z
    KEY<TAB>id id id ...
KEY is "stsb-en-test.csv:ROW:COL" (ROW: 1-based CSV record, COL: 1 or 2) or
"tokenizer-hard-cases.txt:LINE" (1-based line). Golden files carry ids only,
never the text: the C test re-reads the text from the same source.

Also writes tests/golden/tokenizer-unicode.txt: HF's per-character behaviour
over every code point (surrogates excluded), as a SHA-256 (first 16 hex
digits) per block of 4096 code points over lines "CP CLEAN CJK PRETOK STRIP
LOWER\n" (see unicode_line()); the C test rebuilds the same lines from
src/tokenizer/unicode.c. This takes about half a minute.

Run from the repository root:
    /work/venv-ref/bin/python tests/reference/make_tokenizer_golden.py \
        [--model-dir DIR] [--data-dir ../shared/datasets] [--out-dir tests/golden]
"""
import argparse
import csv
import hashlib
import os
import sys

import tokenizers
from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import hard_cases, sha256_file  # noqa: E402  (tests/reference/golden_io.py)

FORMAT = "biasbench-tokenizer-golden"
VERSION = 1
MAX_LENGTH = 256
STSB = "stsb/stsb-en-test.csv"
HARD = "tests/data/tokenizer-hard-cases.txt"



def stsb_sentences(path):
    name = os.path.basename(path)
    with open(path, newline="", encoding="utf-8") as f:
        for row, rec in enumerate(csv.reader(f), 1):
            if len(rec) < 2:
                sys.exit("%s: record %d has %d fields, expected >= 2" % (path, row, len(rec)))
            for col in (1, 2):
                yield "%s:%d:%d" % (name, row, col), rec[col - 1]


UNICODE_BLOCK = 4096


def unicode_line(cp, clean, chinese, strip, lower, pretok):
    """One code point as BertNormalizer's steps and BertPreTokenizer see it:
    CLEAN: D dropped, W mapped to a space, K kept; CJK: C spaced, - not;
    PRETOK (on "a" + ch + "a"): S split (whitespace), P isolated, - inside the
    word; STRIP: strip_accents alone; LOWER: lowercase alone; both as hex code
    points joined by ",", or "_" when empty."""
    ch = chr(cp)
    c = clean.normalize_str(ch)
    c = "D" if c == "" else ("W" if c == " " and cp != 32 else "K")
    j = "C" if chinese.normalize_str(ch) != ch else "-"
    p = [x[0] for x in pretok.pre_tokenize_str("a" + ch + "a")]
    p = "S" if p == ["a", "a"] else "P" if p == ["a", ch, "a"] else "-" if len(p) == 1 else "?"

    def hexs(t):
        return ",".join("%X" % ord(x) for x in t) or "_"

    return "%X %s %s %s %s %s\n" % (cp, c, j, p, hexs(strip.normalize_str(ch)),
                                    hexs(lower.normalize_str(ch)))


def write_unicode_golden(out_path):
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer

    def bn(**kw):
        args = dict(clean_text=False, handle_chinese_chars=False, strip_accents=False,
                    lowercase=False)
        args.update(kw)
        return BertNormalizer(**args)

    steps = (bn(clean_text=True), bn(handle_chinese_chars=True), bn(strip_accents=True),
             bn(lowercase=True), BertPreTokenizer())
    rows = []
    for start in range(0, 0x110000, UNICODE_BLOCK):
        h = hashlib.sha256()
        for cp in range(start, start + UNICODE_BLOCK):
            if not 0xD800 <= cp <= 0xDFFF:
                h.update(unicode_line(cp, *steps).encode("ascii"))
        rows.append("%X %s\n" % (start, h.hexdigest()[:16]))
    with open(out_path, "w", encoding="ascii", newline="\n") as f:
        f.write("# biasbench-tokenizer-unicode v1 blocks=%d block_size=%d tokenizers=%s\n"
                % (len(rows), UNICODE_BLOCK, tokenizers.__version__))
        f.writelines(rows)
    print("%s: %d blocks of %d code points" % (out_path, len(rows), UNICODE_BLOCK))


def write_golden(out_path, source_path, tok, tok_sha, items):
    lines = []
    for key, text in items:
        ids = tok.encode(text).ids
        lines.append("%s\t%s\n" % (key, " ".join(str(i) for i in ids)))
    with open(out_path, "w", encoding="ascii", newline="\n") as f:
        f.write("# %s v%d source=%s count=%d max_length=%d tokenizer_sha256=%s "
                "source_sha256=%s tokenizers=%s\n"
                % (FORMAT, VERSION, os.path.basename(source_path), len(lines), MAX_LENGTH,
                   tok_sha, sha256_file(source_path), tokenizers.__version__))
        f.writelines(lines)
    print("%s: %d strings" % (out_path, len(lines)))
    return len(lines)


def main():
    home = os.path.expanduser("~")
    models = os.environ.get("BIASBENCH_MODELS", os.path.join(home, ".cache/biasbench/models"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", default=os.path.join(models, "all-MiniLM-L6-v2"))
    ap.add_argument("--data-dir", default=os.environ.get("BIASBENCH_DATA", "../shared/datasets"))
    ap.add_argument("--out-dir", default="tests/golden")
    args = ap.parse_args()

    tj = os.path.join(args.model_dir, "tokenizer.json")
    tok = Tokenizer.from_file(tj)
    tok.no_padding()
    tok.enable_truncation(MAX_LENGTH)
    tok_sha = sha256_file(tj)

    stsb = os.path.join(args.data_dir, STSB)
    total = write_golden(os.path.join(args.out_dir, "tokenizer-stsb-en-test.txt"), stsb, tok,
                         tok_sha, stsb_sentences(stsb))
    total += write_golden(os.path.join(args.out_dir, "tokenizer-hard-cases.txt"), HARD, tok,
                          tok_sha, hard_cases(HARD))
    print("total: %d strings" % total)
    write_unicode_golden(os.path.join(args.out_dir, "tokenizer-unicode.txt"))


if __name__ == "__main__":
    main()
