#!/usr/bin/env python3
"""same-output.py BASE NEW: are two run directories of one suite the same
apart from timings? (issue 7's check: `biasbench run suites/default.yaml`
before and after a change.)

results.csv: rows of kind timing are dropped, and the unit column. BASE may be in the format from
before p_adjusted/adjust_method were columns: its adjusted-p rows
(<metric>_p_<holm|bh>, p_<holm|bh>) are dropped from the comparison and
checked to reappear, same text, as p_adjusted cells of NEW. NEW's two
columns are cut out byte for byte; the remaining lines must be identical.
items/: every per-item file but latency's must be byte-identical.
Exit 0 when the same, 1 when not."""
import csv
import os
import re
import sys

OLD = re.compile(r'^(?:(.+)_)?p_(holm|bh)$')


def lines(path):
    """Header and rows, without the unit column (last, since issue 13): a
    constant of the metric, so runs from before and after it compare."""
    with open(path, newline='') as f:
        ls = f.read().splitlines(keepends=True)
    if ls and ls[0].rstrip('\n').endswith(',unit'):
        ls = [l.rstrip('\n').rsplit(',', 1)[0] + '\n' for l in ls]
    return ls[0], ls[1:]


def fields(line):
    return next(csv.reader([line]))


def main(base, new):
    bh, bl = lines(os.path.join(base, 'results.csv'))
    nh, nl = lines(os.path.join(new, 'results.csv'))
    old_fmt = ',p_adjusted,' not in bh
    cols = nh.rstrip('\n').split(',')
    assert cols[12:14] == ['p_adjusted', 'adjust_method'], nh
    b_keep, b_adj = [], {}
    for line in bl:
        f = fields(line)
        if f[-1] == 'timing':
            continue
        m = OLD.match(f[6]) if old_fmt else None
        if m:
            b_adj[(*f[1:6], m.group(1) or '', m.group(2))] = f[7]
            continue
        if not old_fmt:  # both new: cut BASE's columns too
            head, pa, ma, hib, kind = line.rstrip('\n').rsplit(',', 4)
            line = head + ',' + hib + ',' + kind + '\n'
        b_keep.append(line)
    n_keep, n_adj = [], {}
    for line in nl:
        f = fields(line)
        if f[-1] == 'timing':
            continue
        head, pa, ma, hib, kind = line.rstrip('\n').rsplit(',', 4)
        assert (pa, ma) == (f[12], '"' + f[13] + '"'), line
        n_keep.append(head + ',' + hib + ',' + kind + '\n')
        if f[13]:
            n_adj[(*f[1:7], f[13])] = f[12]
    same = b_keep == n_keep
    if same:
        print('results.csv: %d non-timing rows byte-identical (without the p_adjusted/'
              'adjust_method columns; BASE less %d adjusted-p rows)' % (len(b_keep), len(b_adj)))
    else:
        print('results.csv: non-timing rows differ (%d vs %d rows)' % (len(b_keep), len(n_keep)))
        for a, b in zip(b_keep, n_keep):
            if a != b:
                print('  base:', a.rstrip())
                print('  new: ', b.rstrip())
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
