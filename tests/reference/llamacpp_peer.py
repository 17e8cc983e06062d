#!/usr/bin/env python3
"""llamacpp_peer.py: llama.cpp (via llama-cpp-python) log-probs for SmolLM2, a PEER.

Not an oracle: llama.cpp's CPU matmuls for Q4_1/Q8_0 weights quantise the
activations to Q8 first, so its log-probs differ from transformers' fp32
(which dequantises the weights and multiplies in fp32) by ~1e-2 nats. The C
test should use this file for argmax agreement (>= 99% of positions) and a
loose log-prob comparison only; tests/golden/decoder-smollm2-logprobs.txt
(transformers fp32) is the oracle for the 1e-3-nat bound.

Regenerate (from the repository root; needs llama-cpp-python, built from the
sdist: CMAKE_ARGS="-DGGML_NATIVE=ON" pip install llama_cpp_python-0.3.36.tar.gz,
and transformers for the tokenizer):
    /work/venv/bin/python tests/reference/llamacpp_peer.py \
        [--gguf ~/.cache/biasbench/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf] \
        [--data-dir /work/shared/datasets]

Sequences: the 200 of decoder-smollm2-logprobs.txt (STS-B test records 1..50,
both columns; CrowS-Pairs records 1..100, sent_more), then CrowS-Pairs
sent_more of records 101..500, each tokenised exactly as
make_decoder_golden.py does (transformers' GGUF tokenizer,
add_special_tokens=False, prefix token 1 = <|im_start|> = BOS prepended).
The ids are what is compared: both sides evaluate the stored ids.

llama.cpp is run with logits_all=True, one sequence per eval() after
reset() (KV cache cleared), n_threads=1; the log-softmax of each position's
fp32 logits is taken here in float64. (llama-cpp-python's echo/logprobs
output is not used: for models whose add_bos_token is false it is misaligned
by one position.)

Output tests/golden/decoder-smollm2-llamacpp.txt:
    line 1: BBDECODER1 peer=llama.cpp model=SmolLM2-135M-Instruct.Q4_1.gguf
        gguf_sha256=<hex> prefix=1 seqs=<n> positions=<total lp count>
        tok_agree=<k>/<n> (sequences whose llama.cpp tokenisation, add_bos
        false, parse_special false, equals the stored ids)
        vs_transformers_max_abs_lp=<x> vs_transformers_mean_abs_lp=<x>
        vs_transformers_argmax_agree=<k>/<m> (over the 200 shared sequences,
        all n positions of am)
        llama_cpp_python=<v> + versions
    then: KEY ids=1,I1,..,In-1 lp=L1,..,Ln-1 am=A0,..,An-1
        KEY, ids, lp (%.6g), am as in decoder-smollm2-logprobs.txt
        (make_decoder_golden.py's docstring): lp[k-1] = log P(I_k | I_<k),
        am[j] = argmax of the logits after I_0..I_j (lowest id on ties).
"""
import argparse
import hashlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_decoder_golden as mdg  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default=mdg.SMOLLM2)
    ap.add_argument("--data-dir", default="/work/shared/datasets")
    ap.add_argument("--golden", default="tests/golden/decoder-smollm2-logprobs.txt")
    ap.add_argument("--out", default="tests/golden/decoder-smollm2-llamacpp.txt")
    ap.add_argument("--crows-extra", type=int, default=400,
                    help="CrowS-Pairs records after the first 100 (default 400: records 101..500)")
    args = ap.parse_args()

    import llama_cpp
    from llama_cpp import Llama

    vers = "llama_cpp_python=%s %s" % (llama_cpp.__version__, mdg.versions())
    print(vers)
    tok = mdg.smollm2_tokenize(args.gguf)
    prefix = 1
    items = mdg.smollm2_items(args.data_dir) + mdg.crows_items(args.data_dir, args.crows_extra, start=101)

    # the transformers oracle for the first 200
    ref = {}
    with open(args.golden) as f:
        f.readline()
        for line in f:
            parts = line.split()
            d = dict(p.split("=", 1) for p in parts[1:])
            ref[parts[0]] = d

    llm = Llama(model_path=args.gguf, n_ctx=512, n_batch=512, n_threads=1, n_threads_batch=1,
                logits_all=True, verbose=False, seed=0)
    lines, npos, tok_agree = [], 0, 0
    maxd, sumd, nd, am_agree, am_n = 0.0, 0.0, 0, 0, 0
    for key, text in items:
        ids = [prefix] + tok(text, add_special_tokens=False)["input_ids"]
        if key in ref:
            assert ref[key]["ids"] == ",".join(map(str, ids)), key
        lc_ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        tok_agree += (list(lc_ids) == ids[1:])
        llm.reset()
        llm.eval(ids)
        logits = np.array(llm.scores[:len(ids)], dtype=np.float32).astype(np.float64)
        m = logits.max(axis=1, keepdims=True)
        lsm = logits - (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))
        lp = [lsm[k - 1, ids[k]] for k in range(1, len(ids))]
        am = [int(np.argmax(logits[j])) for j in range(len(ids))]
        npos += len(lp)
        if key in ref:
            rlp = np.array([float(x) for x in ref[key]["lp"].split(",")])
            d = np.abs(rlp - np.array(lp))
            maxd = max(maxd, float(d.max()))
            sumd += float(d.sum())
            nd += len(d)
            ram = [int(x) for x in ref[key]["am"].split(",")]
            am_agree += sum(a == b for a, b in zip(am, ram))
            am_n += len(am)
        lines.append("%s ids=%s lp=%s am=%s" % (key, mdg.ints(ids), mdg.fmt_list(lp, "%.6g"),
                                                mdg.ints(am)))
    sha = mdg.sha256_file(args.gguf)
    head = ["BBDECODER1", "peer=llama.cpp", "model=" + os.path.basename(args.gguf),
            "gguf_sha256=" + sha, "prefix=%d" % prefix, "seqs=%d" % len(items),
            "positions=%d" % npos, "tok_agree=%d/%d" % (tok_agree, len(items)),
            "vs_transformers_max_abs_lp=%.3g" % maxd,
            "vs_transformers_mean_abs_lp=%.3g" % (sumd / max(nd, 1)),
            "vs_transformers_argmax_agree=%d/%d" % (am_agree, am_n), vers]
    with open(args.out, "w") as f:
        f.write(" ".join(head) + "\n")
        f.write("\n".join(lines) + "\n")
    print(" ".join(head[5:11]))


if __name__ == "__main__":
    main()
