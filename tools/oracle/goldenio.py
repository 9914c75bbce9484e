"""Writer (and a reader used for self-checks) for the golden format v1.

See FORMAT.md next to this file. f32 arrays: %.9g of the float32 value,
f64 arrays: %.17g; nan / inf / -inf spelled as such.
"""

import math
import os

import numpy as np

_PER_LINE = 8


def _fmt_num(v, prec):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return prec % v


def _meta_value(v):
    if v is None:
        return "none"
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    s = str(v)
    if not s or any(c.isspace() for c in s):
        raise ValueError("meta value must be one token: %r" % (v,))
    return s


class Golden:
    def __init__(self):
        self.meta = []     # list of (key, value-string)
        self.arrays = []   # list of (name, dtype-tag, ndarray)

    def add_meta(self, key, value):
        self.meta.append((key, _meta_value(value)))

    def add_array(self, name, arr, dtype):
        """dtype: 'f32' or 'f64'; arr is cast to that dtype."""
        if dtype not in ("f32", "f64"):
            raise ValueError(dtype)
        a = np.asarray(arr, dtype=np.float32 if dtype == "f32" else np.float64)
        self.arrays.append((name, dtype, a))

    def text(self):
        out = ["gru-golden 1"]
        for k, v in self.meta:
            out.append("meta %s %s" % (k, v))
        for name, dt, a in self.arrays:
            out.append("array %s %s %d%s" % (
                name, dt, a.ndim, "".join(" %d" % d for d in a.shape)))
            prec = "%.9g" if dt == "f32" else "%.17g"
            flat = [_fmt_num(float(v), prec) for v in a.ravel().tolist()]
            for i in range(0, len(flat), _PER_LINE):
                out.append(" ".join(flat[i:i + _PER_LINE]))
        return "\n".join(out) + "\n"

    def write(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="ascii", newline="\n") as f:
            f.write(self.text())


def read(path):
    """Parse a golden file -> (meta dict, {name: ndarray}). For self-checks."""
    with open(path, encoding="ascii") as f:
        toks = f.read().split()
    if toks[:2] != ["gru-golden", "1"]:
        raise ValueError("bad header in " + path)
    meta, arrays = {}, {}
    i = 2
    while i < len(toks):
        t = toks[i]
        if t == "meta":
            meta[toks[i + 1]] = toks[i + 2]
            i += 3
        elif t == "array":
            name, dt, nd = toks[i + 1], toks[i + 2], int(toks[i + 3])
            dims = [int(d) for d in toks[i + 4:i + 4 + nd]]
            i += 4 + nd
            n = int(np.prod(dims)) if nd else 1
            vals = np.array([float(x) for x in toks[i:i + n]],
                            dtype=np.float32 if dt == "f32" else np.float64)
            if len(vals) != n:
                raise ValueError("short array %s in %s" % (name, path))
            arrays[name] = vals.reshape(dims)
            i += n
        else:
            raise ValueError("unexpected token %r in %s" % (t, path))
    return meta, arrays
