"""Check that committed goldens still agree with freshly generated ones.

    python3 tools/oracle/compare_goldens.py FRESH_DIR COMMITTED_DIR

Every case in either directory must exist in both, with the same meta values
and array shapes, and values equal within the test tolerances (|a-b| /
max(|b|, 1) <= 1e-6 for f32 arrays, 1e-12 for f64: TF's CPU kernels may round
differently on another CPU). Exits 1 and lists the differences otherwise, so a
stale or hand-made committed golden fails CI.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from goldenio import read  # noqa: E402

FAMILIES = ("cell", "activation", "regularizer", "constraint", "layer", "grad")


def cases(root):
    out = {}
    for fam in FAMILIES:
        d = os.path.join(root, fam)
        if os.path.isdir(d):
            for f in os.listdir(d):
                if f.endswith(".golden"):
                    out[fam + "/" + f] = os.path.join(d, f)
    return out


def main():
    fresh, committed = sys.argv[1], sys.argv[2]
    a, b = cases(fresh), cases(committed)
    problems = []
    for name in sorted(set(a) | set(b)):
        if name not in a:
            problems.append("%s: committed but Keras no longer produces it" % name)
            continue
        if name not in b:
            problems.append("%s: produced by Keras but not committed" % name)
            continue
        ma, xa = read(a[name])
        mb, xb = read(b[name])
        if ma != mb:
            problems.append("%s: meta differs" % name)
            continue
        if set(xa) != set(xb):
            problems.append("%s: array names differ" % name)
            continue
        for k in xa:
            u, v = xa[k], xb[k]
            if u.shape != v.shape:
                problems.append("%s: %s shape %s vs %s" % (name, k, u.shape, v.shape))
                continue
            tol = 1e-6 if u.dtype == np.float32 else 1e-12
            u64, v64 = u.astype(np.float64), v.astype(np.float64)
            same_nan = np.isnan(u64) == np.isnan(v64)
            with np.errstate(invalid="ignore"):
                err = np.where(np.isnan(v64) | (u64 == v64), 0.0,
                               np.abs(u64 - v64) / np.maximum(np.abs(v64), 1.0))
            if not same_nan.all() or (err > tol).any():
                problems.append("%s: %s differs (max error %.3g)" % (name, k, float(np.nanmax(err))))
    if problems:
        print("committed goldens disagree with Keras:")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print("committed goldens agree with Keras (%d cases)" % len(b))


if __name__ == "__main__":
    main()
