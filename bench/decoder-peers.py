#!/usr/bin/env python3
"""decoder-peers.py: causal-LM speed of biasbench beside llama.cpp, in one run.

Same GGUF (SmolLM2-135M-Instruct Q4_1 by default), same threads (2), same
texts (CrowS-Pairs sent_more and sent_less), same token sequences (the
model's BOS, then the text). Prints one table with the ratio biasbench /
llama.cpp and appends nothing anywhere: paste the table into
docs/performance.md with the machine line it prints.

  scoring     every position's next-token distribution (log-probs of a text):
              biasbench `score` (batched, log-probs gathered on the device) vs
              llama-cpp-python Llama(logits_all=True).eval(tokens) per text
  generation  greedy tokens/s after a short prompt: biasbench `generate` vs
              llama-cpp-python's generate loop (temperature 0)

Both peers' load time is measured and subtracted. Usage (llama-cpp-python
built from its sdist in a venv, see README "Benchmarks"):

  /path/to/venv/bin/python bench/decoder-peers.py [--model GGUF] [--texts N]
      [--threads 2] [--new-tokens 128] [--reps 3]

A benchmark, never a test: nothing here asserts a speed.
"""
import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_GGUF = os.path.expanduser(
    "~/.cache/biasbench/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
DATA = os.environ.get("BIASBENCH_DATA", os.path.join(ROOT, "..", "shared", "datasets"))
PROMPT = "The history of the small coastal town begins"


def texts(n):
    path = os.path.join(DATA, "crows-pairs", "crows_pairs_anonymized.csv")
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out += [row["sent_more"], row["sent_less"]]
    return out[:n]


def run(cmd, env):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if p.returncode:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stderr[-2000:]))
    return dt, p


def bb_scoring(bb, model, sents, threads, reps, env):
    with tempfile.TemporaryDirectory() as d:
        inp = os.path.join(d, "in.csv")
        with open(inp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["text"])
            for s in sents:
                w.writerow([s])
        one = os.path.join(d, "one.csv")
        with open(one, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([["text"], [sents[0]]])
        base = [bb, "score", "--model", model, "--batch", "16", "-c", "text"]
        run(base + ["-i", one, "-o", os.devnull], env)  # warm PoCL's kernel cache
        load = min(run(base + ["-i", one, "-o", os.devnull], env)[0] for _ in range(reps))
        out = os.path.join(d, "out.csv")
        times = [run(base + ["-i", inp, "-o", out], env)[0] for _ in range(reps)]
        with open(out, newline="") as f:
            scored = sum(1 for r in csv.DictReader(f) if r["logprob"] != "")
    return statistics.median(times) - load, load, scored


def bb_generation(bb, model, n_new, reps, env):
    base = [bb, "generate", "--model", model, "--ids"]
    short = min(run(base + ["-n", "1", PROMPT], env)[0] for _ in range(reps))
    times, made = [], 0
    for _ in range(reps):
        dt, p = run(base + ["-n", str(n_new), PROMPT], env)
        times.append(dt)
        ids = [l for l in p.stderr.splitlines() if l.startswith("generate: ids")]
        made = len(ids[-1].split()[-1].split(",")) if ids else n_new
    return statistics.median(times) - short, made - 1


def llama_peer(model, sents, threads, n_new, reps):
    from llama_cpp import Llama
    t = time.perf_counter()
    llm = Llama(model_path=model, n_threads=threads, n_threads_batch=threads, n_ctx=512,
                n_batch=512, logits_all=True, verbose=False)
    load = time.perf_counter() - t
    bos = llm.token_bos()
    seqs = [[bos] + llm.tokenize(s.encode(), add_bos=False, special=False) for s in sents]
    positions = sum(len(q) - 1 for q in seqs)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        for q in seqs:
            llm.reset()
            llm.eval(q)
        times.append(time.perf_counter() - t)
    gen = []
    prompt = [bos] + llm.tokenize(PROMPT.encode(), add_bos=False, special=False)
    for _ in range(reps):  # includes the short prompt's evaluation (a few ms)
        t = time.perf_counter()
        made = 0
        for _tok in llm.generate(prompt, temp=0.0, top_k=1, reset=True):
            made += 1
            if made >= n_new:
                break
        gen.append((time.perf_counter() - t, made))
    gt = statistics.median(g[0] for g in gen)
    return statistics.median(times), positions, gt, gen[0][1], load


def llama_child(a):
    sents = texts(a.texts)
    out = llama_peer(a.model, sents, a.llama_child, a.new_tokens, a.reps)
    print(json.dumps(out))


def llama_run(a, threads):
    """llama-cpp-python in a child process, so each thread setting gets its own
    OpenMP runtime and environment."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if not a.spin:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    cmd = [sys.executable, os.path.abspath(__file__), "--llama-child", str(threads),
           "--model", a.model, "--texts", str(a.texts), "--new-tokens", str(a.new_tokens),
           "--reps", str(a.reps)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode:
        sys.exit("llama child failed: " + p.stderr[-2000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=DEFAULT_GGUF)
    ap.add_argument("--bin", default=os.path.join(ROOT, "biasbench"))
    ap.add_argument("--texts", type=int, default=600)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--llama-threads", default="",
                    help="extra llama.cpp thread counts to report beside --threads, e.g. 1")
    ap.add_argument("--spin", action="store_true",
                    help="leave llama.cpp's OpenMP spin-wait on (default: OMP_WAIT_POLICY=PASSIVE)")
    ap.add_argument("--llama-child", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.llama_child:
        return llama_child(a)
    load0 = os.getloadavg()
    env = dict(os.environ, POCL_MAX_PTHREAD_COUNT=str(a.threads), POCL_AFFINITY="1")
    sents = texts(a.texts)
    bs, bload, bpos = bb_scoring(a.bin, a.model, sents, a.threads, a.reps, env)
    bg, bmade = bb_generation(a.bin, a.model, a.new_tokens, a.reps, env)
    ll = [(a.threads, llama_run(a, a.threads))]
    for t in [int(x) for x in a.llama_threads.split(",") if x]:
        ll.append((t, llama_run(a, t)))
    import llama_cpp
    load1 = os.getloadavg()
    print("# %s; %s, %d cores, load average %.1f at start, %.1f at end; llama-cpp-python %s; "
          "%d texts (CrowS-Pairs), model %s; medians of %d reps; llama.cpp OpenMP wait policy %s"
          % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
             platform.processor() or platform.machine(), os.cpu_count(), load0[0], load1[0],
             llama_cpp.__version__, len(sents), os.path.basename(a.model), a.reps,
             "active (spin)" if a.spin else "PASSIVE"))
    hdr = "| what | biasbench (%d threads) |" % a.threads
    sep = "| --- | --- |"
    for t, _ in ll:
        hdr += " llama.cpp (%d thr) | ratio |" % t
        sep += " --- | --- |"
    print(hdr)
    print(sep)
    bsr, bgr = bpos / bs, bmade / bg
    row = "| scoring, positions/s (%d positions) | %.0f |" % (bpos, bsr)
    for t, (ls, lpos, lg, lmade, lload) in ll:
        row += " %.0f | %.2f |" % (lpos / ls, bsr / (lpos / ls))
    print(row)
    row = "| generation, tokens/s (greedy, %d new) | %.1f |" % (a.new_tokens, bgr)
    for t, (ls, lpos, lg, lmade, lload) in ll:
        row += " %.1f | %.2f |" % (lmade / lg, bgr / (lmade / lg))
    print(row)
    row = "| load (+ first kernels), s | %.2f |" % bload
    for t, (ls, lpos, lg, lmade, lload) in ll:
        row += " %.2f | |" % lload
    print(row)


if __name__ == "__main__":
    main()
