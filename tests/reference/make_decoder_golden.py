#!/usr/bin/env python3
"""make_decoder_golden.py: decoder-LM log-prob goldens from transformers fp32.

Regenerate (from the repository root; CPU only, ~2 minutes; torch runs on one
thread):
    /work/venv/bin/python tests/reference/make_decoder_golden.py tiny
    /work/venv/bin/python tests/reference/make_decoder_golden.py smollm2 \
        [--gguf ~/.cache/biasbench/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf] \
        [--data-dir /work/shared/datasets]

The reference is Hugging Face transformers in fp32 (model.eval(),
torch.no_grad(), attn_implementation="eager", one sequence per forward, no
padding). For GGUF files transformers dequantises every tensor to fp32 and
undoes llama.cpp's Q/K row permutation (see make_decoder_fixtures.py).

Outputs (all text, '\\n' line ends, fields separated by one space, lists
comma-separated with no spaces, numbers printed with %.9g (tiny) or %.6g
(SmolLM2); an empty list is written as nothing after '='):

tests/golden/decoder-tiny-<name>.txt   <name> = llama, llama-q8_0, qwen2, gpt2
    line 1 (header): BBDECODER1 followed by key=value fields:
        model=tests/data/models/<...>   the file the numbers were computed from
                                        (an HF folder for llama, qwen2, gpt2;
                                        the q8_0 GGUF for llama-q8_0)
        gguf=tests/data/models/<...>.gguf gguf_sha256=<hex>
        prefix=<id>                      the prefix token of the sentence lines
        safetensors_sha256=<hex>         (HF folders only)
        gguf_max_abs_diff=<x>            max |lp_gguf - lp_hf| over all lp of the
                                        file, transformers loading the GGUF
                                        (tokenizer-free); 0 or ~1e-6 for the
                                        unquantised files; for llama-q8_0 it is
                                        max |lp_q8_0 - lp_f32| (quantisation error)
        gguf_mean_abs_diff=<x>           the same, mean
        vocab=<n> seqs=<n> gens=<n> toks=<n>
        transformers=.. torch=.. tokenizers=.. python=..
    then lines of three kinds, in this order:
    ids=I0,I1,..,In-1 lp=L1,..,Ln-1 am=A0,..,An-1 gap=G0,..,Gn-1
        One token sequence (n = 1..40). lp[k-1] = log P(I_k | I_0..I_k-1)
        (natural log, log-softmax of fp32 logits), k = 1..n-1 (n-1 values: the
        first token is never scored). am[j] = argmax of the next-token logits
        after I_0..I_j (n values; am[n-1] is the token that would follow the
        sequence), ties to the lowest id. gap[j] = top-1 logit minus top-2
        logit at position j (excuse argmax disagreements where gap is tiny).
    gen prompt=P0,..,Pm-1 out=O0,..,O15 gap=G0,..,G15
        Greedy decoding, 16 new tokens, no stopping at EOS, each step the
        argmax (lowest id on ties) of the full-sequence forward; gap as above.
    tok hex=<UTF-8 bytes of the text, lowercase hex> ids=I0,..
        tokenizers.Tokenizer.from_file(<hf>/tokenizer.json).encode(text,
        add_special_tokens=False).ids; texts written for this file. (Added
        special tokens written literally in text ARE matched by HF: the case
        containing "<|endoftext|>" tests that.)
    The sequences: 12 of seeded random ids over the whole config vocab
    (for qwen2 ids 400..415 have no token but do have weights), lengths
    1,2,3,4,5,8,13,16,21,27,33,40; then 8 encodings of hand-written sentences
    with the model's prefix token first (llama: 1 <|im_start|>; qwen2: 397
    <|endoftext|>; gpt2: 383 <|endoftext|>).

tests/golden/decoder-smollm2-logprobs.txt
    line 1: BBDECODER1 model=SmolLM2-135M-Instruct.Q4_1.gguf gguf_sha256=<hex>
        prefix=1 (the GGUF's tokenizer.ggml.bos_token_id, <|im_start|>;
        add_bos_token is false so it is prepended here, like lm-eval's
        prefix_token_id, which prefers BOS over EOS when BOS is defined)
        seqs=<n> positions=<total lp count> + versions
    then: KEY ids=1,I1,..,In-1 lp=L1,..,Ln-1 am=A0,..,An-1 gap=G0,..,Gn-1
        KEY is "stsb-en-test.csv:ROW:COL" (ROW 1-based CSV record of
        stsb/stsb-en-test.csv (no header), COL 1 or 2) or
        "crows_pairs_anonymized.csv:ROW:sent_more" (ROW 1-based data record,
        header excluded; equals the file's first (unnamed) column + 1).
        ids[1..] = tokenizer(text, add_special_tokens=False) with transformers'
        tokenizer built from the GGUF (no text is stored: re-read it from
        /work/shared/datasets/ or datasets/). lp/am/gap as above (%.6g; gap %.4g).
        Rows: STS-B records 1..50 (both columns), CrowS-Pairs records 1..100.

tests/golden/decoder-smollm2-greedy.txt
    line 1: BBDECODER1 ... gens=10 new_tokens=32
    then: gen prompt=P0,.. out=O0,..,O31 gap=G0,..,G31
        prompts: hand-written texts (not stored), encoded as above with the
        prefix token 1 first; greedy as for the tiny models (no EOS stop).
"""
import argparse
import csv
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import sha256_file  # noqa: E402  (tests/reference/golden_io.py)

MODELS_DIR = "tests/data/models"
GOLDEN_DIR = "tests/golden"
SEED = 20261206
SMOLLM2 = os.path.expanduser(
    "~/.cache/biasbench/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf")

TINY = {  # name: (hf folder, gguf file, prefix id, compute-from)
    "llama": ("tiny-llama-hf", "tiny-llama.gguf", 1, "hf"),
    "llama-q8_0": ("tiny-llama-hf", "tiny-llama-q8_0.gguf", 1, "gguf"),
    "qwen2": ("tiny-qwen2-hf", "tiny-qwen2.gguf", 397, "hf"),
    "gpt2": ("tiny-gpt2-hf", "tiny-gpt2.gguf", 383, "hf"),
}

RANDOM_LENGTHS = (1, 2, 3, 4, 5, 8, 13, 16, 21, 27, 33, 40)

# Written for this file.
TINY_SENTENCES = [
    "The small model reads a sentence.",
    "We test the tokenizer first, then each layer.",
    "It's 10:45 on Tuesday and the bread is fresh.",
    "Doctors and engineers met downtown",
    "A quiet dog sleeps under the table while the children play in the garden.",
    "Zürich, Kraków and São Paulo!",
    "numbers 0 1 22 333 4444",
    "If the result differs, the test fails loudly.",
]
TINY_GEN_PROMPTS = [
    "The baker opens",
    "Every number it prints",
    "Questions??? ",
]
TOKENIZER_CASES = [
    "Hello world",
    "The weather today is sunny with a light wind from the west.",
    "  leading spaces and trailing  ",
    "don't, won't, they're, I'll, we've, she'd, I'm",
    "12,345.67 dollars in 2026",
    "Café naïve über 東京 한국 🙂 €£±→",
    "line one\nline two\r\n\ttabbed",
    "ALLCAPS MixedCase lowercase",
    "!!!??? ... --- (x) [y] {z}",
    "before<|endoftext|>after",
]
SMOLLM2_GEN_PROMPTS = [
    "The capital of France is",
    "Once upon a time, in a small village,",
    "The nurse said that",
    "Here is a list of fruits: apple, banana,",
    "def add(a, b):\n    return",
    "The most important thing about science is",
    "My favourite season is autumn because",
    "1, 2, 3, 4, 5,",
    "The engineer fixed the bridge and",
    "Question: What color is the sky?\nAnswer:",
]


def versions():
    import tokenizers
    import torch
    import transformers
    return ("transformers=%s torch=%s tokenizers=%s numpy=%s python=%s"
            % (transformers.__version__, torch.__version__, tokenizers.__version__,
               np.__version__, sys.version.split()[0]))


def load(path, gguf_file=None, **config_overrides):
    import torch
    from transformers import AutoModelForCausalLM
    kw = {"dtype": torch.float32, "attn_implementation": "eager"}
    kw.update(config_overrides)
    if gguf_file:
        kw["gguf_file"] = gguf_file
    m = AutoModelForCausalLM.from_pretrained(path, **kw).eval()
    for n, p in m.named_parameters():
        assert p.dtype == torch.float32, (path, gguf_file, n, p.dtype)
    return m


def forward(model, ids):
    """fp32 logits (n, vocab) as float64 numpy, and log-softmax in float64
    of the fp32 logits."""
    import torch
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids], dtype=torch.long), use_cache=False)
    logits = out.logits[0].float()
    lsm = torch.log_softmax(logits, dim=-1)
    return logits.double().numpy(), lsm.double().numpy()


def score(model, ids):
    logits, lsm = forward(model, ids)
    lp = [lsm[k - 1, ids[k]] for k in range(1, len(ids))]
    am, gap = [], []
    for j in range(len(ids)):
        row = logits[j]
        a = int(np.argmax(row))  # first maximum = lowest id
        top2 = np.partition(row, -2)[-2:]
        am.append(a)
        gap.append(float(top2[1] - top2[0]))
    return lp, am, gap


def greedy(model, prompt, n_new):
    ids = list(prompt)
    out, gaps = [], []
    for _ in range(n_new):
        logits, _ = forward(model, ids)
        row = logits[-1]
        a = int(np.argmax(row))
        top2 = np.partition(row, -2)[-2:]
        out.append(a)
        gaps.append(float(top2[1] - top2[0]))
        ids.append(a)
    return out, gaps


def fmt_list(xs, f):
    return ",".join(f % x for x in xs)


def ints(xs):
    return ",".join(str(int(x)) for x in xs)


# ---- tiny models ------------------------------------------------------------------

def tiny(args):
    from tokenizers import Tokenizer
    for name, (hf, gg, prefix, src) in TINY.items():
        hf_dir = os.path.join(args.models_dir, hf)
        gguf_path = os.path.join(args.models_dir, gg)
        tok = Tokenizer.from_file(os.path.join(hf_dir, "tokenizer.json"))
        m_hf = load(hf_dir)
        # transformers' GGUF gpt2 mapping reads n_ctx but leaves n_positions at
        # its default 1024: give it the folder's value.
        over = {"n_positions": m_hf.config.n_positions} if name == "gpt2" else {}
        m_gg = load(args.models_dir, gguf_file=gg, **over)
        ref = m_gg if src == "gguf" else m_hf
        other = m_hf if src == "gguf" else m_gg
        vocab = ref.config.vocab_size
        assert other.config.vocab_size == vocab

        rng = random.Random(SEED)
        seqs = [[rng.randrange(vocab) for _ in range(n)] for n in RANDOM_LENGTHS]
        for s in TINY_SENTENCES:
            seqs.append([prefix] + tok.encode(s, add_special_tokens=False).ids)
        assert all(1 <= len(s) <= 40 for s in seqs), [len(s) for s in seqs]

        lines, maxdiff, sumdiff, ndiff = [], 0.0, 0.0, 0
        for ids in seqs:
            lp, am, gap = score(ref, ids)
            lp2, _, _ = score(other, ids)
            if lp:
                d = np.abs(np.array(lp) - np.array(lp2))
                maxdiff = max(maxdiff, float(np.max(d)))
                sumdiff += float(np.sum(d))
                ndiff += len(d)
            lines.append("ids=%s lp=%s am=%s gap=%s" % (
                ints(ids), fmt_list(lp, "%.9g"), ints(am), fmt_list(gap, "%.9g")))
        gens = 0
        for p in TINY_GEN_PROMPTS:
            prompt = [prefix] + tok.encode(p, add_special_tokens=False).ids
            out, gaps = greedy(ref, prompt, 16)
            lines.append("gen prompt=%s out=%s gap=%s" % (ints(prompt), ints(out),
                                                         fmt_list(gaps, "%.9g")))
            gens += 1
        for t in TOKENIZER_CASES:
            lines.append("tok hex=%s ids=%s" % (t.encode("utf-8").hex(),
                                                ints(tok.encode(t, add_special_tokens=False).ids)))

        model_path = gguf_path if src == "gguf" else hf_dir
        head = ["BBDECODER1", "model=" + model_path, "gguf=" + gguf_path,
                "gguf_sha256=" + sha256_file(gguf_path), "prefix=%d" % prefix]
        if src == "hf":
            head.append("safetensors_sha256=" + sha256_file(os.path.join(hf_dir, "model.safetensors")))
        head += ["gguf_max_abs_diff=%.3g" % maxdiff, "gguf_mean_abs_diff=%.3g" % (sumdiff / ndiff), "vocab=%d" % vocab,
                 "seqs=%d" % len(seqs), "gens=%d" % gens, "toks=%d" % len(TOKENIZER_CASES),
                 versions()]
        out = os.path.join(args.out_dir, "decoder-tiny-%s.txt" % name)
        with open(out, "w") as f:
            f.write(" ".join(head) + "\n")
            f.write("\n".join(lines) + "\n")
        print("%s: gguf_max_abs_diff=%.3g mean %.3g (%s vs %s)" % (out, maxdiff, sumdiff / ndiff, src,
                                                        "hf" if src == "gguf" else "gguf"))
        limit = 0.5 if name.endswith("q8_0") else 1e-4  # q8_0: quantisation error, not a bug
        if maxdiff > limit:
            sys.exit("%s: HF folder and GGUF disagree (%.3g > %g)" % (name, maxdiff, limit))


# ---- SmolLM2 ------------------------------------------------------------------------

def smollm2_items(data_dir, n_stsb_rows=50, n_crows=100):
    """[(key, text)]: STS-B test records 1..n_stsb_rows (both columns), then
    CrowS-Pairs sent_more of data records 1..n_crows."""
    items = []
    with open(os.path.join(data_dir, "stsb", "stsb-en-test.csv"), newline="", encoding="utf-8") as f:
        for r, row in enumerate(csv.reader(f), 1):
            if r > n_stsb_rows:
                break
            items.append(("stsb-en-test.csv:%d:1" % r, row[0]))
            items.append(("stsb-en-test.csv:%d:2" % r, row[1]))
    items.extend(crows_items(data_dir, n_crows))
    return items


def crows_items(data_dir, n, start=1):
    items = []
    with open(os.path.join(data_dir, "crows-pairs", "crows_pairs_anonymized.csv"),
              newline="", encoding="utf-8") as f:
        rd = csv.DictReader(f)
        for r, row in enumerate(rd, 1):
            if r < start:
                continue
            if r >= start + n:
                break
            assert int(row[""]) == r - 1, (r, row[""])
            items.append(("crows_pairs_anonymized.csv:%d:sent_more" % r, row["sent_more"]))
    return items


def smollm2_tokenize(gguf_path):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(os.path.dirname(gguf_path),
                                         gguf_file=os.path.basename(gguf_path))


def smollm2(args):
    gguf_path = args.gguf
    from gguf import GGUFReader
    rd = GGUFReader(gguf_path)
    prefix = int(rd.fields["tokenizer.ggml.bos_token_id"].contents())
    assert prefix == 1
    tok = smollm2_tokenize(gguf_path)
    model = load(os.path.dirname(gguf_path), gguf_file=os.path.basename(gguf_path))
    sha = sha256_file(gguf_path)
    head = ["BBDECODER1", "model=" + os.path.basename(gguf_path), "gguf_sha256=" + sha,
            "prefix=%d" % prefix]

    items = smollm2_items(args.data_dir)
    lines, npos = [], 0
    for key, text in items:
        ids = [prefix] + tok(text, add_special_tokens=False)["input_ids"]
        lp, am, gap = score(model, ids)
        npos += len(lp)
        lines.append("%s ids=%s lp=%s am=%s gap=%s" % (
            key, ints(ids), fmt_list(lp, "%.6g"), ints(am), fmt_list(gap, "%.4g")))
    out = os.path.join(args.out_dir, "decoder-smollm2-logprobs.txt")
    with open(out, "w") as f:
        f.write(" ".join(head + ["seqs=%d" % len(items), "positions=%d" % npos, versions()]) + "\n")
        f.write("\n".join(lines) + "\n")
    print(out, len(items), "sequences", npos, "positions")

    lines = []
    for p in SMOLLM2_GEN_PROMPTS:
        prompt = [prefix] + tok(p, add_special_tokens=False)["input_ids"]
        o, gaps = greedy(model, prompt, 32)
        lines.append("gen prompt=%s out=%s gap=%s" % (ints(prompt), ints(o), fmt_list(gaps, "%.4g")))
    out = os.path.join(args.out_dir, "decoder-smollm2-greedy.txt")
    with open(out, "w") as f:
        f.write(" ".join(head + ["gens=%d" % len(lines), "new_tokens=32", versions()]) + "\n")
        f.write("\n".join(lines) + "\n")
    print(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["tiny", "smollm2"])
    ap.add_argument("--models-dir", default=MODELS_DIR)
    ap.add_argument("--out-dir", default=GOLDEN_DIR)
    ap.add_argument("--gguf", default=SMOLLM2)
    ap.add_argument("--data-dir", default="/work/shared/datasets")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    print(versions())
    {"tiny": tiny, "smollm2": smollm2}[args.what](args)


if __name__ == "__main__":
    main()
