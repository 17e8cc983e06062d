"""golden_io.py: what the reference-data scripts under tests/reference share.

- The STS-B items of the embedding goldens (make_embedding_golden.py,
  make_mpnet_golden.py) and the writer of their BBGOLD1 file, which
  tests/golden-io.c reads.
- The WEAT formulas of weat_reference.py and seat_reference.py: WEFE's
  effect size and statistic, sent-bias's per-word association s(w), and the
  exact one-sided permutation p-value.

Heavy packages (numpy, gensim, wefe) are imported inside the functions:
the scripts run in two virtual environments and each needs only its part.
"""
import csv
import itertools
import math
import struct

SOURCE = "stsb/stsb-en-test.csv"  # relative to the shared datasets root
LONG_ROWS = 20                    # rows joined into one long text (tests/golden-io.h)
LONG_STARTS = (0, 300, 600, 900)
TIE_SLACK = 1e-12                 # as src/metrics/weat.c


# ---- embedding goldens ------------------------------------------------------------

def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.reader(f)]


def long_text(rows, start):
    """The s1 and s2 fields of rows start .. start+LONG_ROWS-1 joined by spaces."""
    parts = []
    for r in rows[start:start + LONG_ROWS]:
        parts.extend([r[0], r[1]])
    return " ".join(parts)


def stsb_items(rows, n_rows):
    """Keys (row, column) and texts: columns 0 and 1 of rows 0 .. n_rows-1,
    then the long texts (column 2) starting at LONG_STARTS."""
    keys, texts = [], []
    for i in range(n_rows):
        for c in (0, 1):
            keys.append((i, c))
            texts.append(rows[i][c])
    for s in LONG_STARTS:
        keys.append((s, 2))
        texts.append(long_text(rows, s))
    return keys, texts


def write_bbgold(path, keys, emb, source=SOURCE):
    """BBGOLD1 (little-endian): magic "BBGOLD1\\0", u32 version 1, u32 count,
    u32 dim, u32 name_len + the source name, then per item u32 row,
    u32 column and dim float32. emb is a (count, dim) float32 numpy array."""
    n, dim = emb.shape
    name = source.encode()
    with open(path, "wb") as f:
        f.write(b"BBGOLD1\0")
        f.write(struct.pack("<IIII", 1, n, dim, len(name)))
        f.write(name)
        for (r, c), v in zip(keys, emb):
            f.write(struct.pack("<II", r, c))
            f.write(v.astype("<f4").tobytes())
    return n, dim


def write_meta(bin_path, model_dir, generator):
    """The sidecar BIN.meta that tests/golden-io.c (golden_check_meta) checks:
    the versions of sentence-transformers, transformers and torch this run
    used, the golden's sha256 and the model's (model.safetensors)."""
    import hashlib
    import os

    import sentence_transformers
    import torch
    import transformers

    def sha(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()

    with open(bin_path + ".meta", "w", encoding="ascii", newline="\n") as f:
        f.write("# biasbench-golden-meta v1: %s (tests/golden-io.c golden_check_meta reads it)\n"
                % os.path.basename(bin_path))
        f.write("generator=%s\n" % generator)
        f.write("golden_sha256=%s\n" % sha(bin_path))
        f.write("model=%s\n" % os.path.basename(os.path.normpath(model_dir)))
        f.write("model_sha256=%s\n" % sha(os.path.join(model_dir, "model.safetensors")))
        f.write("sentence_transformers=%s\n" % sentence_transformers.__version__)
        f.write("transformers=%s\n" % transformers.__version__)
        f.write("torch=%s\n" % torch.__version__)


# ---- WEAT ---------------------------------------------------------------------------

def wefe_weat(X, Y, A, B, model_name):
    """WEFE's (effect size with ddof 0, statistic) through its public API, on
    a gensim KeyedVectors holding the float64 vectors."""
    import numpy as np
    from gensim.models import KeyedVectors
    from wefe.metrics import WEAT
    from wefe.query import Query
    from wefe.word_embedding_model import WordEmbeddingModel

    mats = {"x": X, "y": Y, "a": A, "b": B}
    kv = KeyedVectors(X.shape[1], dtype=np.float64)
    words = {k: [f"{k}{i}" for i in range(len(m))] for k, m in mats.items()}
    for k, m in mats.items():
        kv.add_vectors(words[k], m)
    model = WordEmbeddingModel(kv, model_name)
    query = Query([words["x"], words["y"]], [words["a"], words["b"]], ["X", "Y"], ["A", "B"])
    res = WEAT().run_query(query, model, return_effect_size=True)
    return float(res["effect_size"]), float(res["weat"])


def sentbias_s(X, Y, A, B):
    """s(w) = mean cos(w, A) - mean cos(w, B) for every w in X then Y."""
    import numpy as np

    def cos(M, N):
        return (M @ N.T) / np.outer(np.linalg.norm(M, axis=1), np.linalg.norm(N, axis=1))

    XY = np.vstack([X, Y])
    return cos(XY, A).mean(axis=1) - cos(XY, B).mean(axis=1)


def exact_p(s, nx):
    """(partitions, count): of all subsets Xi of X u Y with |Xi| = nx, those
    whose statistic is >= the observed one (observed included, slack
    TIE_SLACK * sum |s(w)|)."""
    total = s.sum()
    observed = s[:nx].sum() - s[nx:].sum()
    threshold = observed - TIE_SLACK * abs(s).sum()
    count = parts = 0
    for sub in itertools.combinations(range(len(s)), nx):
        count += 2.0 * s[list(sub)].sum() - total >= threshold
        parts += 1
    assert parts == math.comb(len(s), nx)
    return parts, count
