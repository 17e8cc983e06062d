#!/usr/bin/env python3
"""weat_reference.py: writes tests/golden/weat-synthetic.txt, the WEAT golden
that tests/stats-t.c checks src/metrics/weat.c against.

Independent references (DESIGN.md "Golden references must be independent"):
- effect size and test statistic: WEFE (PyPI `wefe`, tested with 1.0.1),
  through its public API WEAT().run_query() on a gensim KeyedVectors model
  that holds the synthetic vectors (float64, so no float32 rounding).
  WEFE's effect size divides by np.std with ddof = 0; biasbench (like
  sent-bias and DESIGN.md) uses ddof = 1, so the golden stores both WEFE's
  raw number and the ddof = 1 value  es1 = es0 * sqrt((N - 1) / N),
  N = |X| + |Y|, and checks that the conversion matches a direct numpy
  computation of sent-bias's formula.
- exact p-value: WEFE 1.0.1 has no exact method (it raises
  NotImplementedError; its "approximate" one is unseeded), so the exact
  one-sided p is computed here with sent-bias's formula: enumerate every
  subset Xi of X u Y with |Xi| = |X| (itertools.combinations), count those
  with statistic >= observed (observed included), divide by C(N, |X|).
  The ">=" uses the same slack as weat.c: 1e-12 * sum |s(w)|.

Data: seeded numpy random vectors, rounded to float32 so the C test reads
the same numbers. No text: items are rows, not words.

Run (once, from the repository root; wefe pins numpy 1.26, so use a
throwaway venv, not /work/venv-ref):
    python3 -m venv /tmp/venv-wefe && /tmp/venv-wefe/bin/pip install wefe==1.0.1
    /tmp/venv-wefe/bin/python tests/reference/weat_reference.py > tests/golden/weat-synthetic.txt
"""
import os
import sys

import numpy as np
import wefe

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import exact_p, weat_checked  # noqa: E402  (shared with seat_reference.py)

SEED = 20261126

# name, nx, ny, na, nb, dim, planted bias strength
CASES = [
    ("planted8", 8, 8, 8, 8, 16, 0.6),
    ("null5", 5, 5, 6, 9, 12, 0.0),
    ("unequal4x6", 4, 6, 5, 5, 10, 0.3),
    ("weak9", 9, 9, 7, 7, 24, 0.15),
    ("tiny2", 2, 2, 3, 2, 4, 0.0),
]


def make_case(rng, nx, ny, na, nb, dim, bias):
    """X leans toward direction u (shared with A), Y toward v (shared with B)."""
    u = rng.standard_normal(dim)
    v = rng.standard_normal(dim)
    X = rng.standard_normal((nx, dim)) + bias * u
    Y = rng.standard_normal((ny, dim)) + bias * v
    A = rng.standard_normal((na, dim)) + bias * u
    B = rng.standard_normal((nb, dim)) + bias * v
    # float32 values, kept as float64 for every computation below
    return [m.astype(np.float32).astype(np.float64) for m in (X, Y, A, B)]


def main():
    rng = np.random.default_rng(SEED)
    out = sys.stdout
    out.write("BBWEAT 1\n")
    out.write(f"# weat_reference.py: seed {SEED}; WEFE {wefe.__version__} effect size (ddof 0) and "
              "statistic; ddof-1 effect size; exact p by itertools.combinations (sent-bias formula)\n")
    out.write("# case NAME nx ny na nb dim / expect es_ddof1 es_wefe_ddof0 statistic partitions count_ge"
              " / then nx+ny+na+nb rows (X, Y, A, B) of dim float32 values\n")
    out.write(f"cases {len(CASES)}\n")
    for name, nx, ny, na, nb, dim, bias in CASES:
        X, Y, A, B = make_case(rng, nx, ny, na, nb, dim, bias)
        es1, es0, stat, s = weat_checked(X, Y, A, B, "synthetic", 1e-12, name)
        parts, count = exact_p(s, nx)
        out.write(f"case {name} {nx} {ny} {na} {nb} {dim}\n")
        out.write(f"expect {es1:.17g} {es0:.17g} {stat:.17g} {parts} {count}\n")
        for M in (X, Y, A, B):
            for row in M:
                out.write(" ".join(f"{v:.9g}" for v in row) + "\n")
        print(f"{name}: es(ddof1)={es1:.6f} stat={stat:.6f} p={count}/{parts}={count / parts:.6f}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
