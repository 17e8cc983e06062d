"""golden_io.py: what the reference-data scripts under tests/reference share.

- The STS-B items of the embedding goldens (make_embedding_golden.py,
  make_mpnet_golden.py) and the writer of their BBGOLD1 file, which
  tests/golden-io.c reads.
- The WEAT formulas of weat_reference.py and seat_reference.py: WEFE's
  effect size and statistic, sent-bias's per-word association s(w), the two
  checked against each other, and the exact one-sided permutation p-value.
- A file's sha256 (every script that records its inputs), and the hand-written
  hard cases of the token-id goldens (make_tokenizer_golden.py,
  make_bpe_golden.py) with their escapes decoded as tests/golden-io.c does.

Heavy packages (numpy, gensim, wefe) are imported inside the functions:
the scripts run in two virtual environments and each needs only its part.
"""
import csv
import hashlib
import itertools
import math
import os
import re
import struct
import sys

SOURCE = "stsb/stsb-en-test.csv"  # relative to the shared datasets root
LONG_ROWS = 20                    # rows joined into one long text (tests/golden-io.h)
LONG_STARTS = (0, 300, 600, 900)
TIE_SLACK = 1e-12                 # as src/metrics/weat.c


# ---- files and the hard cases of the token-id goldens -------------------------------

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


ESCAPE = re.compile(rb"\\(\\|t|n|r|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.?)")


def decode_case(raw, where):
    """Apply the escapes documented at the top of tokenizer-hard-cases.txt."""

    def one(m):
        e = m.group(1)
        if e == b"\\":
            return b"\\"
        if e in (b"t", b"n", b"r"):
            return {b"t": b"\t", b"n": b"\n", b"r": b"\r"}[e]
        if e[:1] == b"x" and len(e) == 3:
            return bytes([int(e[1:], 16)])
        if e[:1] in (b"u", b"U") and len(e) in (5, 9):
            return chr(int(e[1:], 16)).encode("utf-8", "surrogatepass")
        sys.exit("%s: bad escape \\%s" % (where, e.decode("latin-1")))

    return ESCAPE.sub(one, raw)


def hard_cases(path):
    """(key "NAME:LINE", text) of each '|' line of a hard-cases file."""
    name = os.path.basename(path)
    with open(path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip(b"\n")
            if line.startswith(b"|"):
                text = decode_case(line[1:], "%s:%d" % (name, lineno))
                # what HF sees when biasbench is given these bytes
                yield "%s:%d" % (name, lineno), text.decode("utf-8", errors="replace")


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
    import sentence_transformers
    import torch
    import transformers

    sha = sha256_file
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


def weat_checked(X, Y, A, B, model_name, tol, label):
    """(es1, es0, stat, s): WEFE's effect size es0 (ddof 0) and statistic,
    es1 = es0 * sqrt((N - 1) / N) (ddof 1), and sent-bias's s(w), with es1
    and the statistic asserted equal (within tol) to their values from s
    (label names the test in a failed assertion)."""
    es0, stat = wefe_weat(X, Y, A, B, model_name)
    nx, ny = len(X), len(Y)
    n = nx + ny
    es1 = es0 * math.sqrt((n - 1) / n)
    s = sentbias_s(X, Y, A, B)
    es1_direct = (s[:nx].mean() - s[nx:].mean()) / s.std(ddof=1)
    assert abs(es1 - es1_direct) < tol, (label, es1, es1_direct)
    assert abs(stat - (s[:nx].sum() - s[nx:].sum())) < tol, label
    return es1, es0, stat, s


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
