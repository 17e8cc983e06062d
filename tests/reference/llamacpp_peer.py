#!/usr/bin/env python3
"""llamacpp_peer.py: llama.cpp (via llama-cpp-python) log-probs for SmolLM2, a PEER.

Not an oracle: for Q4_1/Q8_0 weights ggml's CPU matmuls quantise the
activations to Q8_1/Q8_0 first, so llama.cpp's log-probs differ from
transformers' fp32 (dequantised weights, fp32 activations) by 0.075 nats on
average (max 0.8) and its argmax differs at ~4% of positions, nearly all
near-ties. Proof that this is the only difference: on an all-F32 copy of the
same GGUF (--dequant-check) llama.cpp matches decoder-smollm2-logprobs.txt to
1.1e-4 nats (the %.6g rounding) with 100% argmax agreement; and on the tiny
f32 GGUFs it matches the tiny goldens to 6e-6 (--tiny).

What an exact fp32 implementation gets against this file's argmax (measured
with llama.cpp on the F32-dequantised model, all 600 sequences, n am entries
per sequence): 95.4% of all 8976 positions; 98.5% of 8054 with peer gap >= 0.1;
99.64% of 6958 with gap >= 0.25; 99.91% of 5387 with gap >= 0.5. So a C test
asking >= 99% should count only positions whose peer gap is >= 0.25.
decoder-smollm2-logprobs.txt (transformers fp32) is the oracle for the
1e-3-nat bound.

Regenerate (from the repository root; needs llama-cpp-python, built from the
sdist: CMAKE_ARGS="-DGGML_NATIVE=ON" pip install llama_cpp_python-0.3.36.tar.gz,
and transformers for the tokenizer):
    /work/venv/bin/python tests/reference/llamacpp_peer.py \
        [--gguf ~/.cache/biasbench/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf] \
        [--data-dir /work/shared/datasets]
    /work/venv/bin/python tests/reference/llamacpp_peer.py --tiny
    /work/venv/bin/python tests/reference/llamacpp_peer.py --dequant-check /tmp

Sequences: the 200 of decoder-smollm2-logprobs.txt (STS-B test records 1..50,
both columns; CrowS-Pairs records 1..100, sent_more), then CrowS-Pairs
sent_more of records 101..500, each tokenised exactly as
make_decoder_golden.py does (transformers' GGUF tokenizer,
add_special_tokens=False, prefix token 1 = <|im_start|> = BOS prepended).
The ids are what is compared: both sides evaluate the stored ids.

llama.cpp is run with logits_all=True, one sequence per eval() after
reset() (KV cache cleared), n_threads=1, F32 K/V cache, flash attention off; the log-softmax of each position's
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
        vs_transformers_argmax_agree_gap<t>=<k>/<m> (the same, only positions
        where transformers' top-2 gap >= t, t = 0.1, 0.5, 1)
        kv_cache=f32 flash_attn=0
        llama_cpp_python=<v> + versions
    then: KEY ids=1,I1,..,In-1 lp=L1,..,Ln-1 am=A0,..,An-1 gap=G0,..,Gn-1
        KEY, ids, lp (%.6g), am, gap (%.3g; llama.cpp's own top-2 logit gap)
        as in decoder-smollm2-logprobs.txt
        (make_decoder_golden.py's docstring): lp[k-1] = log P(I_k | I_<k),
        am[j] = argmax of the logits after I_0..I_j (lowest id on ties).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_decoder_golden as mdg  # noqa: E402


# F32 KV cache and no flash attention: llama.cpp's defaults (F16 K/V) alone move
# log-probs by ~5e-3 nats.
EXACT = {"type_k": 0, "type_v": 0, "flash_attn": False}  # 0 = GGML_TYPE_F32
GAP_THRESHOLDS = (0.1, 0.5, 1.0)


def peer_logits(llm, ids):
    """llama.cpp's logits of ids (a fresh context), float64, and their log-softmax."""
    llm.reset()
    llm.eval(ids)
    lg = np.array(llm.scores[:len(ids)], dtype=np.float64)
    m = lg.max(1, keepdims=True)
    return lg, lg - (m + np.log(np.exp(lg - m).sum(1, keepdims=True)))


def tiny():
    """llama.cpp on the tiny GGUFs vs tests/golden/decoder-tiny-*.txt."""
    from llama_cpp import Llama
    for name in ("llama", "llama-q8_0", "qwen2", "gpt2"):
        path = "tests/data/models/tiny-%s.gguf" % name
        llm = Llama(model_path=path, n_ctx=64, n_threads=1, n_threads_batch=1,
                    logits_all=True, verbose=False, **EXACT)
        maxd, agree, tot = 0.0, 0, 0
        for line in open("tests/golden/decoder-tiny-%s.txt" % name).readlines()[1:]:
            if not line.startswith("ids="):
                continue
            f = dict(x.split("=", 1) for x in line.split())
            ids = [int(i) for i in f["ids"].split(",")]
            lg, lsm = peer_logits(llm, ids)
            if f["lp"]:
                lp = np.array([float(x) for x in f["lp"].split(",")])
                mine = np.array([lsm[k - 1, ids[k]] for k in range(1, len(ids))])
                maxd = max(maxd, float(np.abs(lp - mine).max()))
            am = [int(x) for x in f["am"].split(",")]
            agree += sum(int(a) == b for a, b in zip(lg.argmax(1), am))
            tot += len(am)
        print("%s: llama.cpp vs golden max |dlp| %.3g, argmax %d/%d" % (path, maxd, agree, tot))


def dequant_check(gguf_path, peer_path, golden_path, tmp):
    """Dequantise the GGUF to all-F32 with llama.cpp's own quantizer
    (llama_model_quantize, LLAMA_FTYPE_ALL_F32), evaluate every sequence of the
    peer file with llama.cpp on it, and compare (a) with the transformers
    golden, (b) with the Q4_1 peer's argmax, also excusing positions whose
    peer gap is small. Prints only. An F32 model takes ~540 MB in tmp."""
    import ctypes
    import llama_cpp
    from llama_cpp import Llama
    out = os.path.join(tmp, "smollm2-dequant-f32.gguf")
    qp = llama_cpp.llama_model_quantize_default_params()
    qp.ftype = 0  # LLAMA_FTYPE_ALL_F32
    qp.allow_requantize = True
    qp.nthread = 1
    assert llama_cpp.llama_model_quantize(gguf_path.encode(), out.encode(), ctypes.byref(qp)) == 0
    llm = Llama(model_path=out, n_ctx=512, n_threads=1, n_threads_batch=1,
                logits_all=True, verbose=False, **EXACT)

    def parse(path):
        d = {}
        with open(path) as f:
            f.readline()
            for line in f:
                parts = line.split()
                d[parts[0]] = dict(p.split("=", 1) for p in parts[1:])
        return d
    gold, peer = parse(golden_path), parse(peer_path)
    maxd, sumd, nd = 0.0, 0.0, 0
    th = (0.0, 0.1, 0.25, 0.5)
    agree = {t: [0, 0] for t in th}
    for key, f in peer.items():
        ids = [int(i) for i in f["ids"].split(",")]
        lg, lsm = peer_logits(llm, ids)
        am = lg.argmax(1)
        if key in gold:
            lp = np.array([float(x) for x in gold[key]["lp"].split(",")])
            d = np.abs(lp - np.array([lsm[k - 1, ids[k]] for k in range(1, len(ids))]))
            maxd, sumd, nd = max(maxd, float(d.max())), sumd + float(d.sum()), nd + len(d)
        pam = [int(x) for x in f["am"].split(",")]
        pgap = [float(x) for x in f["gap"].split(",")]
        for t in th:
            for a, b, g in zip(am, pam, pgap):
                if g >= t:
                    agree[t][0] += int(a) == b
                    agree[t][1] += 1
    os.unlink(out)
    print("llama.cpp on the F32-dequantised model vs transformers golden: max |dlp| %.3g, mean %.3g"
          % (maxd, sumd / nd))
    for t in th:
        a, n = agree[t]
        print("F32-dequantised argmax vs Q4_1 peer argmax, peer gap >= %g: %d/%d = %.4f"
              % (t, a, n, a / n))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default=mdg.SMOLLM2)
    ap.add_argument("--data-dir", default="/work/shared/datasets")
    ap.add_argument("--golden", default="tests/golden/decoder-smollm2-logprobs.txt")
    ap.add_argument("--out", default="tests/golden/decoder-smollm2-llamacpp.txt")
    ap.add_argument("--tiny", action="store_true",
                    help="only compare llama.cpp with the tiny-model goldens (prints; writes nothing)")
    ap.add_argument("--dequant-check", metavar="TMPDIR",
                    help="only run dequant_check() (prints; writes a temporary F32 GGUF in TMPDIR)")
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

    if args.tiny:
        return tiny()
    if args.dequant_check:
        return dequant_check(args.gguf, args.out, args.golden, args.dequant_check)
    llm = Llama(model_path=args.gguf, n_ctx=512, n_batch=512, n_threads=1, n_threads_batch=1,
                logits_all=True, verbose=False, seed=0, **EXACT)
    lines, npos, tok_agree = [], 0, 0
    maxd, sumd, nd, am_agree, am_n = 0.0, 0.0, 0, 0, 0
    gap_agree = {t: [0, 0] for t in GAP_THRESHOLDS}
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
        top2 = np.partition(logits, -2, axis=1)[:, -2:]
        gap = top2[:, 1] - top2[:, 0]
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
            rgap = [float(x) for x in ref[key]["gap"].split(",")]
            for t in GAP_THRESHOLDS:
                for a, b, gp in zip(am, ram, rgap):
                    if gp >= t:
                        gap_agree[t][0] += (a == b)
                        gap_agree[t][1] += 1
        lines.append("%s ids=%s lp=%s am=%s gap=%s" % (key, mdg.ints(ids), mdg.fmt_list(lp, "%.6g"),
                                                       mdg.ints(am), mdg.fmt_list(gap, "%.3g")))
    sha = mdg.sha256_file(args.gguf)
    head = ["BBDECODER1", "peer=llama.cpp", "model=" + os.path.basename(args.gguf),
            "gguf_sha256=" + sha, "prefix=%d" % prefix, "seqs=%d" % len(items),
            "positions=%d" % npos, "tok_agree=%d/%d" % (tok_agree, len(items)),
            "vs_transformers_max_abs_lp=%.3g" % maxd,
            "vs_transformers_mean_abs_lp=%.3g" % (sumd / max(nd, 1)),
            "vs_transformers_argmax_agree=%d/%d" % (am_agree, am_n)]
    head += ["vs_transformers_argmax_agree_gap%g=%d/%d" % (t, a, n) for t, (a, n) in gap_agree.items()]
    head += ["kv_cache=f32", "flash_attn=0", vers]
    with open(args.out, "w") as f:
        f.write(" ".join(head) + "\n")
        f.write("\n".join(lines) + "\n")
    print(" ".join(head[5:-1]))


if __name__ == "__main__":
    main()
