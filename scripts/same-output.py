#!/usr/bin/env python3
"""same-output.py BASE NEW: are two run directories of one suite the same
apart from timings? (issue 7's check: `biasbench run suites/default.yaml`
before and after a change.)

results.csv: rows of kind timing are dropped. BASE may be in the format from
before p_adjusted/adjust_method were columns: its adjusted-p rows
(<metric>_p_<holm|bh>, p_<holm|bh>) are dropped from the comparison and
checked to reappear, same text, as p_adjusted cells of NEW. BASE's
small_group rows (before the flag was a column) are checked to reappear as
the small_group cells of NEW's rows of that group. The columns both files
have must be identical cell for cell (p_adjusted, adjust_method,
small_group, perturbation and unit are compared where BASE has them too).
items/: every per-item file but latency's must be byte-identical.
Exit 0 when the same, 1 when not."""
import csv
import os
import re
import sys

OLD = re.compile(r'^(?:(.+)_)?p_(holm|bh)$')


def table(path):
    with open(path, newline='') as f:
        r = csv.reader(f)
        head = next(r)
        return head, [dict(zip(head, row)) for row in r]


# columns added since the first format: compared apart (adjusted p, small_group) or, where BASE
# lacks them, not at all
ADDED = ('p_adjusted', 'adjust_method', 'small_group', 'perturbation', 'unit')
KEY = ('task', 'dataset', 'model', 'variant', 'group')


def main(base, new):
    bh, brows = table(os.path.join(base, 'results.csv'))
    nh, nrows = table(os.path.join(new, 'results.csv'))
    old_fmt = 'p_adjusted' not in bh
    cols = [c for c in bh if c in nh]  # columns added since are compared apart or not
    b_keep, b_adj, b_small = [], {}, {}
    for r in brows:
        if r['kind'] == 'timing':
            continue
        if r['metric'] == 'small_group' and 'small_group' in nh:
            b_small[tuple(r[k] for k in KEY)] = float(r['value'])
            continue
        m = OLD.match(r['metric']) if old_fmt else None
        if m:
            b_adj[(*(r[k] for k in KEY), m.group(1) or '', m.group(2))] = r['value']
            continue
        b_keep.append(tuple(r[c] for c in cols))
    n_keep, n_adj = [], {}
    for r in nrows:
        if r['kind'] == 'timing':
            continue
        n_keep.append(tuple(r[c] for c in cols))
        if r.get('adjust_method'):
            n_adj[(*(r[k] for k in KEY), r['metric'], r['adjust_method'])] = r['p_adjusted']
    same = b_keep == n_keep
    if same:
        print('results.csv: %d non-timing rows identical cell for cell over the %d shared '
              'columns (not in BASE: %s; BASE less %d adjusted-p rows)'
              % (len(b_keep), len(cols), ', '.join(c for c in ADDED if c not in cols) or
                 'none', len(b_adj)))
    else:
        print('results.csv: non-timing rows differ (%d vs %d rows)' % (len(b_keep), len(n_keep)))
        for a, b in zip(b_keep, n_keep):
            if a != b:
                print('  base:', ','.join(a))
                print('  new: ', ','.join(b))
                break
    missing = 0
    for (t, d, mo, v, g, metric, meth), val in b_adj.items():
        hits = [k for k in n_adj if k[:5] == (t, d, mo, v, g) and k[6] == meth and
                (k[5] == metric if metric else 'effect_size' in k[5])]
        if not hits or any(n_adj[k] != val for k in hits):
            missing += 1
            print('  adjusted p not carried over:', t, d, g, metric or 'p_' + meth, val)
    if old_fmt:
        print('adjusted p: %d old rows, all in p_adjusted cells of NEW (%d cells): %s'
              % (len(b_adj), len(n_adj), 'yes' if not missing else 'NO, %d missing' % missing))
    same = same and not missing
    bad = 0
    for key, val in b_small.items():
        cells = [r['small_group'] for r in nrows
                 if tuple(r[k] for k in KEY) == key and r.get('small_group')]
        if not cells or any(float(c) != val for c in cells):
            bad += 1
            print('  small_group flag not carried over:', *key, val)
    if b_small:
        print('small_group: %d old rows, all as flags on their group\'s rows of NEW: %s'
              % (len(b_small), 'yes' if not bad else 'NO, %d missing' % bad))
    same = same and not bad
    bi = sorted(os.listdir(os.path.join(base, 'items')))
    ni = sorted(os.listdir(os.path.join(new, 'items')))
    if bi != ni:
        same = False
        print('items/: different files:', sorted(set(bi) ^ set(ni)))
    for name in bi:
        if name not in ni:
            continue
        with open(os.path.join(base, 'items', name), 'rb') as f:
            a = f.read()
        with open(os.path.join(new, 'items', name), 'rb') as f:
            b = f.read()
        if name.startswith('speed__') or b'batch_size,seq_len,rep,ms' in a[:200]:
            print('items/%s: latency, not compared' % name)
        elif a == b:
            print('items/%s: identical (%d bytes)' % (name, len(a)))
        else:
            same = False
            print('items/%s: DIFFERS' % name)
    print('SAME' if same else 'DIFFERENT')
    return 0 if same else 1


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
