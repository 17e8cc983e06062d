#!/usr/bin/env python3
"""make_bpe_golden.py: token-id goldens for tests/tokenizer-bpe-t.c.

SmolLM2-135M-Instruct (byte-level BPE read from its GGUF file): every sentence
of STS-B's test split, of CrowS-Pairs (sent_more and sent_less) and every case
of tests/data/tokenizer-hard-cases.txt and tests/data/bpe-hard-cases.txt,
encoded by transformers' GGUF tokenizer (AutoTokenizer.from_pretrained(dir,
gguf_file=...), add_special_tokens=False): the independent reference.

transformers' GGUF conversion does not know the `smollm` pre-tokenizer
(tokenizer.ggml.pre): it skips SmolLM2's split of every numeric character
(\\p{N}) before the GPT-2 pattern. No merge contains an ASCII digit, so only
non-ASCII numerals ("²", "½", "٣") can differ. For every string the script also
encodes with the model's own pre-tokenizer (the same tokenizer with
pre_tokenizer = Sequence[Digits(individual_digits=True), ByteLevel], as
SmolLM2's tokenizer.json has it and llama.cpp's `smollm` regexes do); where
the two differ the line carries both, and biasbench follows the model.

Writes tests/golden/bpe-smollm2-<source>.txt:
    # biasbench-bpe-golden v1 source=... count=N gguf_sha256=... source_sha256=... \
      transformers=X tokenizers=Y
    KEY<TAB>HF ids[<TAB>model ids, only where they differ]
KEY is "stsb-en-test.csv:ROW:COL" (ROW: 1-based CSV record, COL 1 or 2),
"crows_pairs_anonymized.csv:ROW:COL" (ROW: 1-based CSV record, the header
being record 1; COL 1 = sent_more, 2 = sent_less) or "FILE:LINE" for the
hand-written cases (1-based line). Golden files carry ids only, never public
text: the C test re-reads the text from the same source.

Also trains a tiny byte-level BPE with `tokenizers` (llama3's Split regex +
ByteLevel, a BOS template, special and non-special added tokens) on the
hand-written cases and STS-B's dev split, writes it to tests/data/tiny-bpe/
(tokenizer.json, tokenizer_config.json) and its ids for the hand-written cases
and the first 300 STS-B test sentences (add_special_tokens=True) to
tests/golden/bpe-tiny.txt.

Run from the repository root (transformers imports torch when it finds it;
USE_TORCH=0 keeps it away):
    USE_TORCH=0 /work/venv/bin/python tests/reference/make_bpe_golden.py \\
        [--model-dir ~/.cache/biasbench/models/SmolLM2-135M-Instruct] \\
        [--data-dir ../shared/datasets] [--out-dir tests/golden]
"""
import argparse
import csv
import hashlib
import json
import os
import sys

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, pre_tokenizers, processors, trainers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import hard_cases, sha256_file  # noqa: E402  (tests/reference/golden_io.py)

FORMAT = "biasbench-bpe-golden"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
STSB = "stsb/stsb-en-test.csv"
STSB_DEV = "stsb/stsb-en-dev.csv"
CROWS = "crows-pairs/crows_pairs_anonymized.csv"
HARD = ["tests/data/tokenizer-hard-cases.txt", "tests/data/bpe-hard-cases.txt"]
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
          r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")



def csv_sentences(path, cols):
    name = os.path.basename(path)
    with open(path, newline="", encoding="utf-8") as f:
        for row, rec in enumerate(csv.reader(f), 1):
            if name.startswith("crows") and row == 1:
                continue  # the header
            for k, col in enumerate(cols, 1):
                if len(rec) <= col:
                    sys.exit("%s: record %d has %d fields" % (path, row, len(rec)))
                yield "%s:%d:%d" % (name, row, k), rec[col]


def write_golden(path, header, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(header + "\n")
        f.writelines(lines)


def smollm2(args, sources, versions, gguf_sha):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(args.model_dir, gguf_file=GGUF)
    ref = hf.backend_tokenizer
    model = Tokenizer.from_str(ref.to_str())
    model.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True),
         pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    total = differ = roundtrip_bad = 0
    for out_name, src_path, items in sources:
        lines = []
        for key, text in items:
            a = hf(text, add_special_tokens=False).input_ids
            b = model.encode(text, add_special_tokens=False).ids
            if ref.encode(text, add_special_tokens=False).ids != a:
                sys.exit("%s: transformers and its backend tokenizer disagree" % key)
            if ref.decode(a, skip_special_tokens=False) != text:
                roundtrip_bad += 1
                print("round trip differs (HF): %s" % key)
            line = "%s\t%s" % (key, " ".join(map(str, a)))
            if a != b:
                differ += 1
                line += "\t" + " ".join(map(str, b))
                print("smollm split differs: %s %r" % (key, text[:60]))
            lines.append(line + "\n")
        total += len(lines)
        header = ("# %s v1 source=%s count=%d gguf_sha256=%s source_sha256=%s %s"
                  % (FORMAT, os.path.basename(src_path) if not isinstance(src_path, list)
                     else "hard-cases", len(lines), gguf_sha,
                     sha256_file(src_path) if not isinstance(src_path, list)
                     else hashlib.sha256(b"".join(open(p, "rb").read() for p in src_path))
                     .hexdigest(), versions))
        write_golden(os.path.join(args.out_dir, out_name), header, lines)
        print("%s: %d strings" % (out_name, len(lines)))
    print("SmolLM2: %d strings, %d where the smollm split changes the ids, %d HF round-trip "
          "differences" % (total, differ, roundtrip_bad))


def tiny(args, versions):
    texts = [t for p in HARD for _, t in hard_cases(p)]
    texts += [t for _, t in csv_sentences(os.path.join(args.data_dir, STSB_DEV), (0, 1))]
    tok = Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated"),
         pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=520, special_tokens=["<|bos|>", "<|eos|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer)
    tok.add_tokens(["<user>"])  # an added token that is not special
    tok.post_processor = processors.TemplateProcessing(
        single="<|bos|> $A", special_tokens=[("<|bos|>", tok.token_to_id("<|bos|>"))])
    d = os.path.join("tests", "data", "tiny-bpe")
    os.makedirs(d, exist_ok=True)
    tok.save(os.path.join(d, "tokenizer.json"), pretty=False)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<|bos|>", "eos_token": "<|eos|>", "model_max_length": 64,
                   "chat_template": "{% for m in messages %}<user>{{ m['content'] }}<|eos|>"
                                    "{% endfor %}"}, f, indent=1)
        f.write("\n")
    tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    items = [x for p in HARD for x in hard_cases(p)]
    items += list(csv_sentences(os.path.join(args.data_dir, STSB), (0, 1)))[:300]
    lines = ["%s\t%s\n" % (k, " ".join(map(str, tok.encode(t).ids))) for k, t in items]
    header = ("# %s v1 source=tiny-bpe count=%d tokenizer_sha256=%s %s"
              % (FORMAT, len(lines), sha256_file(os.path.join(d, "tokenizer.json")), versions))
    write_golden(os.path.join(args.out_dir, "bpe-tiny.txt"), header, lines)
    print("bpe-tiny.txt: %d strings" % len(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", default=os.path.expanduser(
        "~/.cache/biasbench/models/SmolLM2-135M-Instruct"))
    ap.add_argument("--data-dir", default=os.path.join("..", "shared", "datasets"))
    ap.add_argument("--out-dir", default=os.path.join("tests", "golden"))
    args = ap.parse_args()
    import transformers

    versions = "transformers=%s tokenizers=%s" % (transformers.__version__,
                                                   tokenizers.__version__)
    gguf_sha = sha256_file(os.path.join(args.model_dir, GGUF))
    stsb = os.path.join(args.data_dir, STSB)
    crows = os.path.join(args.data_dir, CROWS)
    sources = [
        ("bpe-smollm2-stsb-en-test.txt", stsb, csv_sentences(stsb, (0, 1))),
        ("bpe-smollm2-crows-pairs.txt", crows, csv_sentences(crows, (1, 2))),
        ("bpe-smollm2-hard-cases.txt", HARD, [x for p in HARD for x in hard_cases(p)]),
    ]
    smollm2(args, sources, versions, gguf_sha)
    tiny(args, versions)


if __name__ == "__main__":
    main()
