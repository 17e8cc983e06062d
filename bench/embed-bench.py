#!/usr/bin/env python3
"""embed-bench.py: benchmark `biasbench embed` against sentence-transformers
(PyTorch CPU) on the STS-B test sentences, side by side, same batch sizes and
thread count; prints a table of sentences/s, tokens/s, ratio, cold/warm start
and peak RSS. A benchmark, not a test: run it by hand on a quiet machine.

usage: bench/embed-bench.py [--biasbench ./biasbench] [--model DIR]
                            [--data ../shared/datasets/stsb/stsb-en-test.csv]
                            [--batches 1,8,32,128] [--threads 2] [--limit N]
Needs a Python with sentence-transformers (e.g. the reference venv).
"""
import argparse, csv, os, resource, shutil, subprocess, sys, tempfile, time


def sentences(path, limit):
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            out += [row[0], row[1]]
    return out[:limit] if limit else out


def run_bb(exe, model, texts, batch, env, extra=()):
    """Run biasbench embed on texts; return (wall seconds, peak RSS MiB)."""
    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".txt") as f:
        f.write("\n".join(texts) + "\n")
        name = f.name
    cmd = ["/usr/bin/time", "-f", "%M", exe, "embed", "--model", model, "--batch", str(batch),
           "-o", "/dev/null", *extra]
    t0 = time.perf_counter()
    with open(name) as stdin:
        p = subprocess.run(cmd, stdin=stdin, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    os.unlink(name)
    if p.returncode:
        sys.exit(f"biasbench failed ({p.returncode}): {p.stderr}")
    rss_kib = int(p.stderr.strip().splitlines()[-1])
    return wall, rss_kib / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--biasbench", default="./biasbench")
    ap.add_argument("--model", default=os.path.expanduser("~/.cache/biasbench/models/all-MiniLM-L6-v2"))
    ap.add_argument("--data", default="../shared/datasets/stsb/stsb-en-test.csv")
    ap.add_argument("--batches", default="1,8,32,128")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()

    texts = sentences(a.data, a.limit)
    env = dict(os.environ, POCL_MAX_PTHREAD_COUNT=str(a.threads), POCL_AFFINITY="1")

    import torch
    torch.set_num_threads(a.threads)
    from sentence_transformers import SentenceTransformer
    t0 = time.perf_counter()
    st = SentenceTransformer(a.model, device="cpu")
    st_load = time.perf_counter() - t0
    n_tok = sum(len(st.tokenizer(t, truncation=True, max_length=256)["input_ids"]) for t in texts)

    # cold and warm start: one sentence, empty kernel caches, then warm
    cache = tempfile.mkdtemp(prefix="bb-bench-cache-")
    cold_env = dict(env, POCL_CACHE_DIR=cache + "/pocl", BIASBENCH_CACHE=cache + "/bb")
    os.makedirs(cold_env["POCL_CACHE_DIR"])
    cold, _ = run_bb(a.biasbench, a.model, texts[:1], 1, cold_env)
    warm, _ = run_bb(a.biasbench, a.model, texts[:1], 1, cold_env)
    shutil.rmtree(cache)

    print(f"# {len(texts)} sentences, {n_tok} tokens, {a.threads} threads; "
          f"biasbench = embed wall time minus its 1-sentence warm start")
    print(f"# cold start (load + kernel build + first launch, empty caches): {cold:.2f} s; "
          f"warm cache: {warm:.2f} s; sentence-transformers model load {st_load:.2f} s")
    hdr = ("batch", "bb sent/s", "bb tok/s", "bb RSS MiB", "st sent/s", "st tok/s", "st RSS MiB", "ratio")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for b in [int(x) for x in a.batches.split(",")]:
        wall, rss = run_bb(a.biasbench, a.model, texts, b, env)
        bb_t = max(wall - warm, 1e-9)
        st.encode(texts[: 2 * b], batch_size=b)  # warm-up
        t0 = time.perf_counter()
        st.encode(texts, batch_size=b)
        st_t = time.perf_counter() - t0
        st_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        n = len(texts)
        print(f"| {b} | {n / bb_t:.1f} | {n_tok / bb_t:.0f} | {rss:.0f} | {n / st_t:.1f} | "
              f"{n_tok / st_t:.0f} | {st_rss:.0f} | {st_t / bb_t:.2f}x |")


if __name__ == "__main__":
    main()
