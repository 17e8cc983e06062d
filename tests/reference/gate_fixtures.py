#!/usr/bin/env python3
"""gate_fixtures.py: writes the hand-made run directories under tests/data/gate/
that tests/gate-t.sh checks `biasbench gate` and `compare` against. Numbers are
synthetic and seeded; results.csv values are computed from the per-item files
so the two agree. Run once from the repository root; the output is committed.

  base/       the baseline run
  degraded/   STS cosines made noisier (Spearman falls a lot: gate 1 fails) and
              p50 latency up 50% (gate 4 fails); zero-shot and SEAT unchanged
  slightly/   STS a little noisier (worse by more than the gate's 0.5 but not
              significantly): the significant-only gate passes
  othersuite/ base with another suite sha256 (compare must refuse)
  otherdata/  base with another sha256 for dataset 'pairs'
"""
import json, os, shutil
import numpy as np

OUT = "tests/data/gate"
SUITE_SHA = "5" * 64
DATA = {"pairs": "a" * 64, "reviews": "b" * 64, "weat-x": "c" * 64}
RNG = np.random.default_rng(20261126)


def ranks(x):
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    r[order] = np.arange(1, len(x) + 1)
    for v in np.unique(x):  # average ties
        m = x == v
        r[m] = r[m].mean()
    return r


def spearman(x, y):
    return np.corrcoef(ranks(x), ranks(y))[0, 1]


def boot(stat, n, b=200, seed=1):
    g = np.random.default_rng(seed)
    vals = [stat(g.integers(0, n, n)) for _ in range(b)]
    return np.percentile(vals, 2.5), np.percentile(vals, 97.5)


def row(task, dataset, metric, value, lo, hi, n, p, hib, kind, group="all", variant="f32"):
    f = lambda v: "" if v is None else "%.10g" % v
    return '"gate-fixture","%s","%s","m","%s","%s","%s",%s,%s,%s,%d,%s,%s,%s' % (
        task, dataset, variant, group, metric, f(value), f(lo), f(hi), n, f(p), hib, kind)


def sts_rows(gold, cos):
    n = len(gold)
    out = []
    for name, fn in (("spearman", spearman), ("pearson", lambda a, b: np.corrcoef(a, b)[0, 1])):
        v = 100 * fn(cos, gold)
        lo, hi = boot(lambda i: 100 * fn(cos[i], gold[i]), n)
        out.append(row("sts", "pairs", name, v, lo, hi, n, None, "true", "quality"))
    return out


def write_run(name, cos_sts, gold, correct, weat, ms, suite_sha=SUITE_SHA, data=DATA):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "items"))
    manifest = {
        "manifest_version": 1, "complete": True,
        "biasbench": {"version": "0.1.0", "commit": "fixture"},
        "suite": {"name": "gate-fixture", "path": "suite.yaml", "sha256": suite_sha},
        "models": [{"id": "m", "source": "synthetic"}],
        "datasets": [{"id": k, "path": k + ".csv", "sha256": v} for k, v in data.items()],
    }
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    rows = sts_rows(gold, cos_sts)
    with open(os.path.join(d, "items", "sts__m.csv"), "w") as f:
        f.write("item_id,s1,s2,gold,cosine\n")
        for i in range(len(gold)):
            f.write("L%d,a %d,b %d,%.9g,%.9g\n" % (i + 1, i, i, gold[i], cos_sts[i]))
    n = len(correct)
    acc = correct.mean()
    lo, hi = boot(lambda i: correct[i].mean(), n)
    rows.append(row("sentiment", "reviews", "accuracy", acc, lo, hi, n, None, "true", "quality"))
    with open(os.path.join(d, "items", "sentiment__m.csv"), "w") as f:
        f.write("item_id,text,gold,pred,correct\n")
        for i in range(n):
            g = "positive" if i % 2 else "negative"
            p = g if correct[i] else ("negative" if i % 2 else "positive")
            f.write("L%d,review %d,%s,%s,%d\n" % (i + 2, i, g, p, correct[i]))
    # WEAT: 4 targets per side, 4 attributes per side
    s = weat[:, :4].mean(1) - weat[:, 4:].mean(1)
    es = (s[:4].mean() - s[4:].mean()) / s.std(ddof=1)
    rows.append(row("seat", "weat-x", "effect_size", es, es - 0.3, es + 0.3, 8, 0.05, "", "bias"))
    rows.append(row("seat", "weat-x", "abs_effect_size", abs(es), abs(es) - 0.3, abs(es) + 0.3, 8,
                    0.05, "false", "bias"))
    with open(os.path.join(d, "items", "seat__m__cos.csv"), "w") as f:
        f.write("item_id,test,target,attribute,cos\n")
        for t in range(8):
            tn = "%s/%d" % ("X" if t < 4 else "Y", t % 4)
            for a in range(8):
                an = "%s/%d" % ("A" if a < 4 else "B", a % 4)
                f.write("weat-x/%s|%s,weat-x,%s,%s,%.9g\n" % (tn, an, tn, an, weat[t, a]))
    var = "f32 @ fixture-device / 1.0"
    rows.append(row("speed", "synthetic", "latency_p50_ms", float(np.median(ms)), None, None,
                    len(ms), None, "false", "timing", "b=1,t=8", var))
    rows.append(row("speed", "synthetic", "items_per_s", 1000 / ms.mean(), None, None,
                    len(ms), None, "true", "timing", "b=1,t=8", var))
    with open(os.path.join(d, "items", "speed__m.csv"), "w") as f:
        f.write("item_id,batch_size,seq_len,rep,ms\n")
        for r, v in enumerate(ms):
            f.write("b1_t8_r%d,1,8,%d,%.9g\n" % (r, r, v))
    with open(os.path.join(d, "results.csv"), "w") as f:
        f.write("suite,task,dataset,model,variant,group,metric,value,ci_low,ci_high,n,p_value,"
                "higher_is_better,kind\n")
        f.write("\n".join(rows) + "\n")


def main():
    n = 80
    gold = np.round(RNG.uniform(0, 5, n), 1)
    cos = 0.1 + 0.16 * gold + RNG.normal(0, 0.05, n)
    cos_bad = cos + RNG.normal(0, 0.35, n)
    cos_slight = cos + RNG.normal(0, 0.06, n)
    correct = (RNG.uniform(0, 1, 60) < 0.8).astype(int)
    weat = RNG.uniform(0.1, 0.5, (8, 8))
    weat[:4, :4] += 0.1
    weat[4:, 4:] += 0.1
    ms = 10 + RNG.uniform(-0.5, 0.5, 10)
    write_run("base", cos, gold, correct, weat, ms)
    write_run("degraded", cos_bad, gold, correct, weat, ms * 1.5)
    write_run("slightly", cos_slight, gold, correct, weat, ms * 1.05)
    write_run("othersuite", cos, gold, correct, weat, ms, suite_sha="6" * 64)
    write_run("otherdata", cos, gold, correct, weat, ms, data=dict(DATA, pairs="d" * 64))


if __name__ == "__main__":
    main()
