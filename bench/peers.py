#!/usr/bin/env python3
"""peers.py: biasbench embed beside sentence-transformers (PyTorch CPU) and
onnxruntime (CPU execution provider, ORT_ENABLE_ALL), in one run, one table.

Same model, same texts (STS-B test, both columns: 2,758 sentences), same
threads (2 by default), batch 1, 8, 32 and 128. For every batch size and every
repetition the three peers run back to back (biasbench, then
sentence-transformers, then onnxruntime), so machine load drifts over all of
them alike; each figure is the median over the repetitions.

  biasbench             `biasbench embed --batch B` on all texts, minus the
                        wall time of the same command on one text (load +
                        kernel build from a warm cache + one launch)
  sentence-transformers SentenceTransformer(model, device="cpu").encode(texts,
                        batch_size=B) after a warm-up encode, in a child process
                        (torch.set_num_threads)
  onnxruntime           the model's transformer exported with torch.onnx.export
                        (opset 17, dynamic batch and sequence axes), run by an
                        InferenceSession (ORT_ENABLE_ALL, intra-op threads = 2);
                        the HF fast tokenizer, length sort, mean pooling and
                        normalisation are timed with it, in a child process

Peak RSS is each process's ru_maxrss (biasbench via /usr/bin/time). A
separate line gives the whole forward's useful GFLOP/s (linear layers and
attention on unpadded tokens) beside the fused GEMM's rate from bench/ops-bench
on the model's shapes, measured in the same run.

usage: /work/venv/bin/python bench/peers.py [--model DIR] [--batches 1,8,32,128]
           [--threads 2] [--reps 3] [--limit N] [--peers bb,st,ort] [--no-gemm]
A benchmark, never a test: nothing here asserts a speed.
"""
import argparse
import csv
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.environ.get("BIASBENCH_DATA", os.path.join(ROOT, "..", "shared", "datasets"))
MODELS = os.path.expanduser("~/.cache/biasbench/models")


def sentences(path, limit):
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            out += [row[0], row[1]]
    return out[:limit] if limit else out


def model_info(model):
    with open(os.path.join(model, "config.json")) as f:
        cfg = json.load(f)
    maxlen = 512
    p = os.path.join(model, "sentence_bert_config.json")
    if os.path.exists(p):
        with open(p) as f:
            maxlen = json.load(f).get("max_seq_length", maxlen)
    normalize = False
    p = os.path.join(model, "modules.json")
    if os.path.exists(p):
        with open(p) as f:
            normalize = any("Normalize" in m.get("type", "") for m in json.load(f))
    return cfg, maxlen, normalize


# ---------------------------------------------------------------- children
def child_st(a, texts):
    import torch
    torch.set_num_threads(a.threads)
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(a.model, device="cpu")
    st.encode(texts[: 2 * a.batch], batch_size=a.batch)  # warm-up
    t = time.perf_counter()
    st.encode(texts, batch_size=a.batch)
    return time.perf_counter() - t


def onnx_path(model):
    d = os.path.expanduser("~/.cache/biasbench/onnx")
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, os.path.basename(model.rstrip("/")) + ".onnx")


def export_onnx(model, path):
    import torch
    from transformers import AutoModel, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model)
    m = AutoModel.from_pretrained(model).eval()
    enc = tok(["a short example", "another example sentence here"], padding=True,
              return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in enc]
    dyn = {n: {0: "batch", 1: "seq"} for n in names}
    dyn["last_hidden_state"] = {0: "batch", 1: "seq"}

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *args):
            return self.m(**dict(zip(names, args))).last_hidden_state

    with torch.no_grad():
        torch.onnx.export(Wrap(m), tuple(enc[n] for n in names), path + ".tmp",
                          input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes=dyn, opset_version=17, dynamo=False)
    os.replace(path + ".tmp", path)


def child_ort(a, texts):
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer
    _, maxlen, normalize = model_info(a.model)
    tok = AutoTokenizer.from_pretrained(a.model, use_fast=True)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    if not a.spin:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(onnx_path(a.model), so, providers=["CPUExecutionProvider"])
    want = {i.name for i in sess.get_inputs()}

    def encode(ts, b):
        order = sorted(range(len(ts)), key=lambda i: -len(ts[i]))  # as sentence-transformers
        out = [None] * len(ts)
        for s in range(0, len(ts), b):
            idx = order[s:s + b]
            enc = tok([ts[i] for i in idx], padding=True, truncation=True, max_length=maxlen,
                      return_tensors="np")
            feed = {k: v.astype(np.int64) for k, v in enc.items() if k in want}
            h = sess.run(None, feed)[0]
            m = enc["attention_mask"][..., None].astype(np.float32)
            e = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            if normalize:
                e /= np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
            for j, i in enumerate(idx):
                out[i] = e[j]
        return out

    encode(texts[: 2 * a.batch], a.batch)  # warm-up
    t = time.perf_counter()
    encode(texts, a.batch)
    return time.perf_counter() - t


def child_main(a):
    texts = sentences(a.data, a.limit)
    dt = child_st(a, texts) if a.child == "st" else child_ort(a, texts)
    rss = 0.0
    with open("/proc/self/status") as f:  # VmHWM: this process's peak (ru_maxrss survives exec)
        for line in f:
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) / 1024
    print(json.dumps({"time": dt, "rss": rss}))


# ---------------------------------------------------------------- parent
def run_bb(a, texts_file, batch, env, one_file):
    def once(path):
        cmd = ["/usr/bin/time", "-f", "%M", a.biasbench, "embed", "--model", a.model,
               "--batch", str(batch), "-o", os.devnull]
        t = time.perf_counter()
        with open(path) as stdin:
            p = subprocess.run(cmd, stdin=stdin, env=env, capture_output=True, text=True)
        dt = time.perf_counter() - t
        if p.returncode:
            sys.exit("biasbench failed (%d): %s" % (p.returncode, p.stderr[-2000:]))
        return dt, int(p.stderr.strip().splitlines()[-1]) / 1024
    short, _ = once(one_file)
    full, rss = once(texts_file)
    return max(full - short, 1e-9), rss, short


def run_child(a, kind, batch, env):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", kind, "--batch", str(batch),
           "--model", a.model, "--data", a.data, "--threads", str(a.threads),
           "--limit", str(a.limit)] + (["--spin"] if a.spin else [])
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode:
        sys.exit("%s child failed: %s" % (kind, p.stderr[-3000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def forward_gflop(cfg, lens):
    d = cfg["hidden_size"]
    ff = cfg["intermediate_size"]
    nl = cfg["num_hidden_layers"]
    tot = 0.0
    for n in lens:
        tot += nl * (n * 2.0 * (4 * d * d + 2 * d * ff) + 4.0 * n * n * d)
    return tot / 1e9


def gemm_rate(a, family):
    """Fused-GEMM GFLOP/s from bench/ops-bench on this model's shapes (m = 4096), f32."""
    exe = os.path.join(os.path.dirname(a.biasbench) or ".", "bench", "ops-bench")
    if not os.path.exists(exe):
        return None, "bench/ops-bench not built (needs OpenBLAS at configure)"
    env = dict(os.environ, POCL_AFFINITY="1", POCL_MAX_PTHREAD_COUNT=str(a.threads),
               OPENBLAS_NUM_THREADS=str(a.threads))
    p = subprocess.run([exe, "-f", family, "-m", "4096", "-s", "f32", "-n", "3", "-r", "3"],
                       env=env, capture_output=True, text=True)
    rows = []
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) >= 9 and f[0] == family and re.match(r"^[0-9.]+$", f[7]):
            n, k = int(f[3]), int(f[4])
            rows.append((2.0 * 4096 * n * k, 2.0 * 4096 * n * k / (float(f[7]) * 1e9)))
    if not rows:
        return None, "ops-bench printed no rows: " + (p.stderr or p.stdout)[-300:]
    # the forward's mix: flops-weighted rate = total flops / total time
    return sum(r[0] for r in rows) / sum(r[1] for r in rows) / 1e9, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--biasbench", default=os.path.join(ROOT, "biasbench"))
    ap.add_argument("--model", default=os.path.join(MODELS, "all-MiniLM-L6-v2"))
    ap.add_argument("--data", default=os.path.join(DATA, "stsb", "stsb-en-test.csv"))
    ap.add_argument("--batches", default="1,8,32,128")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--peers", default="bb,st,ort")
    ap.add_argument("--no-gemm", action="store_true")
    ap.add_argument("--spin", action="store_true",
                    help="leave the peers' spin-waiting on (OpenMP active wait, ORT allow_spinning)")
    ap.add_argument("--child", choices=["st", "ort"])
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    a.model = os.path.abspath(os.path.expanduser(a.model))
    if a.child:
        return child_main(a)

    peers = a.peers.split(",")
    texts = sentences(a.data, a.limit)
    cfg, maxlen, _ = model_info(a.model)
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(a.model, use_fast=True)
    lens = [len(x) for x in tok(texts, truncation=True, max_length=maxlen)["input_ids"]]
    n_tok = sum(lens)
    gflop = forward_gflop(cfg, lens)
    if "ort" in peers and not os.path.exists(onnx_path(a.model)):
        export_onnx(a.model, onnx_path(a.model))

    env = dict(os.environ, POCL_MAX_PTHREAD_COUNT=str(a.threads), POCL_AFFINITY="1",
               OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    if not a.spin:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    tmp = tempfile.mkdtemp(prefix="bb-peers-")
    all_file, one_file = os.path.join(tmp, "all.txt"), os.path.join(tmp, "one.txt")
    with open(all_file, "w") as f:
        f.write("\n".join(texts) + "\n")
    with open(one_file, "w") as f:
        f.write(texts[0] + "\n")
    if "bb" in peers:
        run_bb(a, one_file, 1, env, one_file)  # fill PoCL's and biasbench's kernel caches

    import onnxruntime, torch, transformers
    st_ver = ort_ver = "-"
    try:
        import sentence_transformers
        st_ver = sentence_transformers.__version__
    except ImportError:
        pass
    ort_ver = onnxruntime.__version__
    load0 = os.getloadavg()
    res = {}
    for b in [int(x) for x in a.batches.split(",")]:
        r = {p: [] for p in peers}
        for _ in range(a.reps):
            if "bb" in peers:
                t, rss, short = run_bb(a, all_file, b, env, one_file)
                r["bb"].append((t, rss))
            for p in ("st", "ort"):
                if p in peers:
                    o = run_child(a, p, b, env)
                    r[p].append((o["time"], o["rss"]))
        res[b] = {p: (statistics.median(x[0] for x in v), max(x[1] for x in v),
                      [x[0] for x in v]) for p, v in r.items()}
        print("# batch %d done: %s" % (b, {p: ["%.2f" % t for t in v[2]]
                                           for p, v in res[b].items()}), file=sys.stderr)
    load1 = os.getloadavg()
    gemm, why = (None, "skipped") if a.no_gemm else gemm_rate(
        a, "mpnet" if "mpnet" in a.model.lower() else "minilm")

    n = len(texts)
    print("# %s; %s, %d threads; load average %.1f at start, %.1f at end (%d cores)"
          % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.machine(),
             a.threads, load0[0], load1[0], os.cpu_count()))
    print("# model %s; %d sentences (STS-B test), %d tokens; medians of %d reps; "
          "torch %s, sentence-transformers %s, onnxruntime %s, transformers %s"
          % (os.path.basename(a.model), n, n_tok, a.reps, torch.__version__, st_ver, ort_ver,
             transformers.__version__))
    names = {"bb": "biasbench", "st": "sent-transformers", "ort": "onnxruntime"}
    hdr = ["batch"]
    for p in peers:
        hdr += ["%s sent/s" % names[p], "tok/s", "RSS MiB"]
    if "bb" in peers:
        hdr += ["bb/%s" % p for p in peers if p != "bb"] + ["bb GFLOP/s"]
    print("| " + " | ".join(hdr) + " |")
    print("|" + " --- |" * len(hdr))
    for b, v in res.items():
        row = [str(b)]
        for p in peers:
            t, rss, _ = v[p]
            row += ["%.1f" % (n / t), "%.0f" % (n_tok / t), "%.0f" % rss]
        if "bb" in peers:
            row += ["%.2fx" % (v[p][0] / v["bb"][0]) for p in peers if p != "bb"]
            row += ["%.1f" % (gflop / v["bb"][0])]
        print("| " + " | ".join(row) + " |")
    if "bb" in peers:
        if gemm:
            best = max(gflop / v["bb"][0] for b, v in res.items())
            print("# whole forward: %.2f GFLOP of useful work (linear layers + attention, "
                  "unpadded); fused GEMM (bench/ops-bench, m = 4096, f32, this model's shapes, "
                  "flops-weighted) %.1f GFLOP/s in this run; forward/GEMM at each batch: %s"
                  % (gflop, gemm, ", ".join("%d: %.0f%%" % (b, 100 * gflop / v["bb"][0] / gemm)
                                            for b, v in res.items())))
        else:
            print("# whole forward: %.2f GFLOP; GEMM rate not measured (%s)" % (gflop, why))
        bb128 = res.get(128, {}).get("bb")
        bb32 = res.get(32, {}).get("bb")
        if bb128 and bb32:
            print("# biasbench batch 128 / batch 32 throughput: %.3f" % (bb32[0] / bb128[0]))
    print("# peers' worker threads %s (--spin leaves OpenMP's and onnxruntime's spin-waits on; "
          "on a shared, oversubscribed machine spinning threads collapse)"
          % ("spin-wait" if a.spin else "sleep when idle: OMP_WAIT_POLICY=PASSIVE, "
             "session.intra_op.allow_spinning=0"))
    print("# biasbench: wall of `embed` on all texts minus its 1-text run (warm caches); "
          "peers: encode time after a warm-up, tokenizer and pooling included")


if __name__ == "__main__":
    main()
