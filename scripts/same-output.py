#!/usr/bin/env python3
"""same-output.py BASE NEW: are two run directories of one suite the same
apart from timings? (issue 7's check: `biasbench run suites/default.yaml`
before and after a change.)

results.csv: rows of kind timing are dropped. BASE may be in the format from
before p_adjusted/adjust_method were columns: its adjusted-p rows
(<metric>_p_<holm|bh>, p_<holm|bh>) are dropped from the comparison and
checked to reappear, same text, as p_adjusted cells of NEW. The columns
both files have, less p_adjusted, adjust_method, perturbation and unit
(added since), must be identical cell for cell.
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


# columns added since the first format: compared apart (adjusted p) or not at all
ADDED = ('p_adjusted', 'adjust_method', 'perturbation', 'unit')
KEY = ('task', 'dataset', 'model', 'variant', 'group')


def main(base, new):
    bh, brows = table(os.path.join(base, 'results.csv'))
    nh, nrows = table(os.path.join(new, 'results.csv'))
    old_fmt = 'p_adjusted' not in bh
    cols = [c for c in bh if c in nh and c not in ADDED]
    b_keep, b_adj = [], {}
    for r in brows:
        if r['kind'] == 'timing':
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
              'columns (not %s; BASE less %d adjusted-p rows)'
              % (len(b_keep), len(cols), '/'.join(ADDED), len(b_adj)))
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
