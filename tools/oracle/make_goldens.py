#!/usr/bin/env python3
"""Generate golden files for libgru from real tf-keras 2.21 (the oracle).

    python3 tools/oracle/make_goldens.py --out DIR [--subset]

Families: cell, activation, regularizer, constraint, layer (the GRU /
RNN(GRUCell) / Bidirectional layers, in layer_cases.py). The file format is
described in FORMAT.md next to this script; see README.md for the design.

The v1 cell is reached as tf.compat.v1.keras.layers.GRUCell, which in TF 2.21
is tf-keras's cell only when TF_USE_LEGACY_KERAS=1 is set before TensorFlow is
imported (otherwise it is Keras 3's cell). This script sets it itself.
"""

import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import glob  # noqa: E402
import hashlib  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import goldenio  # noqa: E402
import pairwise  # noqa: E402

import tensorflow as tf  # noqa: E402

# Few threads: deterministic rounding and no oversubscription on small CI boxes.
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

import tf_keras  # noqa: E402,F401
from tf_keras import activations, constraints, regularizers  # noqa: E402

GRUCell = tf.compat.v1.keras.layers.GRUCell
assert GRUCell.__module__.startswith("tf_keras"), (
    "tf.compat.v1.keras.layers.GRUCell is %s.%s, not tf-keras's v1 cell; "
    "TF_USE_LEGACY_KERAS=1 did not take effect" % (GRUCell.__module__, GRUCell.__name__))
assert GRUCell.__module__ == "tf_keras.src.layers.rnn.gru_v1", GRUCell.__module__

import layer_cases  # noqa: E402  (needs TF imported with TF_USE_LEGACY_KERAS=1)
import model_cases  # noqa: E402  (likewise)
import grad_cases  # noqa: E402
import optimizer_cases  # noqa: E402
import loss_cases  # noqa: E402
import train_cases  # noqa: E402

DT = {"f32": (np.float32, tf.float32, "float32"),
      "f64": (np.float64, tf.float64, "float64")}


def case_seed(name):
    """Stable 31-bit seed from the case name (not Python's salted hash())."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "little") & 0x7FFFFFFF


def rng_for(name):
    return np.random.default_rng(case_seed(name))


# ----------------------------------------------------------------------------
# cell family
# ----------------------------------------------------------------------------

CELL_FACTORS = {
    "reset_after": [False, True],
    "implementation": [1, 2],
    "use_bias": [False, True],
    "activation": ["tanh", "linear", "relu", "sigmoid", "gelu", "softmax"],
    "recurrent_activation": ["hard_sigmoid", "sigmoid", "tanh"],
    "batch": [1, 3, 8],
    "fu": [(1, 1), (3, 5), (16, 32), (64, 128)],
    "drop": ["none", "in", "rec", "both"],
    "training": [True, False],
    "dtype": ["f32", "f64"],
}
DROP_RATES = {"none": (0.0, 0.0), "in": (0.3, 0.0), "rec": (0.0, 0.4), "both": (0.3, 0.4)}
RACT_ABBR = {"hard_sigmoid": "hs", "sigmoid": "sig", "tanh": "tanh"}
STEPS = 3


def cell_case_name(prefix, idx, c):
    f, u = c["fu"]
    return "cell/%s_%03d_ra%d_i%d_b%d_%s_%s_B%d_F%dU%d_drop-%s_tr%d_%s" % (
        prefix, idx, c["reset_after"], c["implementation"], c["use_bias"],
        c["activation"], RACT_ABBR[c["recurrent_activation"]], c["batch"], f, u,
        c["drop"], c["training"], c["dtype"])


def pairwise_rows():
    """Smallest greedy array over a fixed set of seeds (deterministic)."""
    best = None
    for s in range(20):
        rows = pairwise.generate(CELL_FACTORS, seed=s)
        if best is None or len(rows) < len(best):
            best = rows
    return best


def product_rows():
    """reset_after x implementation x use_bias x drop x dtype (64 rows); other
    options rotate through their values."""
    rows = []
    acts = CELL_FACTORS["activation"]
    racts = CELL_FACTORS["recurrent_activation"]
    batches = CELL_FACTORS["batch"]
    i = 0
    n_none = 0
    for ra in (False, True):
        for impl in (1, 2):
            for ub in (False, True):
                for drop in CELL_FACTORS["drop"]:
                    for dt in ("f32", "f64"):
                        if drop == "none":
                            training = n_none % 2 == 0
                            n_none += 1
                        else:
                            training = True
                        rows.append({
                            "reset_after": ra, "implementation": impl, "use_bias": ub,
                            "activation": acts[i % 6],
                            "recurrent_activation": racts[(i // 2 + i // 5) % 3],
                            "batch": batches[(i // 3 + i // 4) % 3],
                            "fu": (16, 32) if (i + i // 4 + i // 16) % 4 == 1 else (3, 5),
                            "drop": drop,
                            "training": training,
                            "dtype": dt,
                        })
                        i += 1
    return rows


def cell_design():
    pw = pairwise_rows()
    fp = product_rows()
    cases = [(cell_case_name("pw", i, c), c) for i, c in enumerate(pw)]
    cases += [(cell_case_name("fp", i, c), c) for i, c in enumerate(fp)]
    return pw, fp, cases


def subset_filter(cases):
    keep = [(n, c) for n, c in cases if c["fu"][0] * c["fu"][1] <= 16 * 32]
    for dt in ("f32", "f64"):
        big = [(n, c) for n, c in cases if c["fu"] == (64, 128) and c["dtype"] == dt]
        if big:  # the smallest batch of that dtype
            keep.append(min(big, key=lambda nc: (nc[1]["batch"], nc[0])))
    order = {n: i for i, (n, _) in enumerate(cases)}
    return sorted(keep, key=lambda nc: order[nc[0]])


# numpy reference (float64) of spec section 3, used as a self-check
def _np_act(name, v):
    if name == "tanh":
        return np.tanh(v)
    if name == "linear":
        return v
    if name == "relu":
        return np.maximum(v, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-v))
    if name == "hard_sigmoid":
        return np.clip(0.2 * v + 0.5, 0.0, 1.0)
    if name == "gelu":
        # tf.nn.gelu: 0.5*x*erfc(-x*c) where c = cast(0.7071067811865476) goes
        # through a float32 constant, so even float64 uses float32(1/sqrt(2)).
        c = float(np.float32(0.7071067811865476))
        return 0.5 * v * np.vectorize(math.erfc)(-v * c)
    if name == "softmax":
        e = np.exp(v - v.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    raise KeyError(name)


def np_cell_step(x, h, W, R, b, c, impl, dp, rdp, dpm, rdpm, pre_log):
    U = h.shape[1]
    blk = [slice(0, U), slice(U, 2 * U), slice(2 * U, 3 * U)]
    dp_on = dpm is not None and 0.0 < dp < 1.0
    rdp_on = rdpm is not None and 0.0 < rdp < 1.0
    bx = bh = None
    if c["use_bias"]:
        if c["reset_after"]:
            bx, bh = b[0], b[1]
        else:
            bx = b
    if impl == 1:
        xs = [x * dpm[k] if dp_on else x for k in range(3)]
        hs = [h * rdpm[k] if rdp_on else h for k in range(3)]
    else:
        x0 = x * dpm[0] if dp_on else x
        xs = [x0] * 3
        hs = [h] * 3
    xg = []
    for k in range(3):
        v = xs[k] @ W[:, blk[k]]
        if bx is not None:
            v = v + bx[blk[k]]
        xg.append(v)
    az = hs[0] @ R[:, blk[0]]
    ar = hs[1] @ R[:, blk[1]]
    if bh is not None:
        az = az + bh[blk[0]]
        ar = ar + bh[blk[1]]
    pre_log.append(xg[0] + az)
    pre_log.append(xg[1] + ar)
    z = _np_act(c["recurrent_activation"], xg[0] + az)
    r = _np_act(c["recurrent_activation"], xg[1] + ar)
    if c["reset_after"]:
        ah = hs[2] @ R[:, blk[2]]
        if bh is not None:
            ah = ah + bh[blk[2]]
        ah = r * ah
    else:
        ah = (r * hs[2]) @ R[:, blk[2]]
    hh = _np_act(c["activation"], xg[2] + ah)
    return z * h + (1.0 - z) * hh


class Stats:
    def __init__(self):
        self.counts = Counter()
        self.errors = []          # (case, message)
        self.notes = []
        self.max_ref_err = defaultdict(float)
        self.mask_scales = defaultdict(set)
        self.hs_regions = Counter()
        self.hs_cases_missing_region = []
        self.impl_forced = 0


def make_cell_case(name, c):
    npdt, tfdt, dtname = DT[c["dtype"]]
    F, U = c["fu"]
    B = c["batch"]
    dp, rdp = DROP_RATES[c["drop"]]
    seed = case_seed(name)
    rng = np.random.default_rng(seed)

    limw = math.sqrt(6.0 / (F + 3 * U))
    limr = math.sqrt(6.0 / (U + 3 * U))
    W = rng.uniform(-limw, limw, (F, 3 * U))
    R = rng.uniform(-limr, limr, (U, 3 * U))
    if c["use_bias"]:
        b = rng.uniform(-0.5, 0.5, (2, 3 * U) if c["reset_after"] else (3 * U,))
    else:
        b = None
    # Every other unit of the z and r gates gets 4x larger weights so its
    # pre-activation (sd ~2.8) reaches hard_sigmoid's clipped regions while the
    # other units (sd ~0.7) stay mostly in its linear region.
    big = [j for j in range(U) if j % 2 == 0]
    for g in (0, 1):
        cols = [g * U + j for j in big]
        W[:, cols] *= 4.0
        R[:, cols] *= 4.0
        if b is not None:
            b[..., cols] *= 4.0
    x = rng.standard_normal((STEPS, B, F))
    h0 = rng.uniform(-0.8, 0.8, (B, U))
    W, R, x, h0 = (a.astype(npdt) for a in (W, R, x, h0))
    if b is not None:
        b = b.astype(npdt)

    cell = GRUCell(U, activation=c["activation"],
                   recurrent_activation=c["recurrent_activation"],
                   use_bias=c["use_bias"], reset_after=c["reset_after"],
                   implementation=c["implementation"], dropout=dp,
                   recurrent_dropout=rdp, dtype=dtname, seed=seed)
    assert type(cell).__module__.startswith("tf_keras"), type(cell).__module__
    cell.build(tf.TensorShape([None, F]))
    cell.set_weights([W, R] + ([b] if b is not None else []))
    tf.random.set_seed(seed)

    tr = c["training"]
    xt = tf.constant(x, dtype=tfdt)
    h = tf.constant(h0, dtype=tfdt)
    dpm = cell.get_dropout_mask_for_cell(xt[0], training=tr, count=3)
    rdpm = cell.get_recurrent_dropout_mask_for_cell(h, training=tr, count=3)
    dpm = None if dpm is None else np.stack([m.numpy() for m in dpm])
    rdpm = None if rdpm is None else np.stack([m.numpy() for m in rdpm])
    outs = []
    for t in range(STEPS):
        out, new = cell(xt[t], [h], training=tr)
        h = new[0]
        o = out.numpy()
        assert o.dtype == npdt, (o.dtype, npdt)
        assert np.array_equal(o, h.numpy(), equal_nan=True)
        outs.append(o)
    hs = np.stack(outs)

    # the cache still holds the recorded masks (so they are the ones used)
    for got, rec in ((cell.get_dropout_mask_for_cell(xt[0], training=tr, count=3), dpm),
                     (cell.get_recurrent_dropout_mask_for_cell(h, training=tr, count=3), rdpm)):
        if rec is None:
            assert got is None
        else:
            assert np.array_equal(np.stack([m.numpy() for m in got]), rec), name
    # mask values: 0 or 1/(1-rate) when training, all ones otherwise
    for m, rate, tag in ((dpm, dp, "dp"), (rdpm, rdp, "rdp")):
        if m is None:
            assert rate == 0.0, (name, tag)
            continue
        assert m.dtype == npdt
        if tr:
            nz = np.unique(m[m != 0])
            assert len(nz) == 1, (name, tag, nz)
            want = 1.0 / (1.0 - rate)
            assert abs(float(nz[0]) - want) <= 4 * np.finfo(npdt).eps * want, (name, tag, nz, want)
            STATS.mask_scales[(c["dtype"], rate)].add(float(nz[0]))
        else:
            assert np.all(m == 1), (name, tag)

    impl_eff = int(cell.implementation)
    if impl_eff != c["implementation"]:
        STATS.impl_forced += 1
        assert rdp != 0 and impl_eff == 1, (name, impl_eff)

    # independent numpy (float64) reference of spec section 3
    f64 = lambda a: None if a is None else a.astype(np.float64)  # noqa: E731
    hr = f64(h0)
    pre = []
    ref = []
    for t in range(STEPS):
        hr = np_cell_step(f64(x[t]), hr, f64(W), f64(R), f64(b), c, impl_eff, dp, rdp,
                          f64(dpm), f64(rdpm), pre)
        ref.append(hr)
    err = float(np.max(np.abs(np.stack(ref) - hs.astype(np.float64))))
    STATS.max_ref_err[c["dtype"]] = max(STATS.max_ref_err[c["dtype"]], err)
    tol = 2e-5 if c["dtype"] == "f32" else 1e-12
    if not err <= tol:
        STATS.errors.append((name, "numpy reference differs by %.3g" % err))
    if c["recurrent_activation"] == "hard_sigmoid":
        p = np.concatenate([a.ravel() for a in pre])
        lo, hi = int(np.sum(p < -2.5)), int(np.sum(p > 2.5))
        mid = p.size - lo - hi
        STATS.hs_regions.update({"below": lo, "linear": mid, "above": hi})
        if mid == 0 or lo + hi == 0:
            STATS.hs_cases_missing_region.append(name)

    g = goldenio.Golden()
    for k, v in (("kind", "cell"), ("dtype", c["dtype"]), ("units", U), ("input_dim", F),
                 ("batch", B), ("steps", STEPS), ("activation", c["activation"]),
                 ("recurrent_activation", c["recurrent_activation"]),
                 ("use_bias", c["use_bias"]), ("reset_after", c["reset_after"]),
                 ("implementation", impl_eff),
                 ("implementation_requested", c["implementation"]),
                 ("dropout", dp), ("recurrent_dropout", rdp), ("training", tr)):
        g.add_meta(k, v)
    dt = c["dtype"]
    g.add_array("kernel", W, dt)
    g.add_array("recurrent_kernel", R, dt)
    if b is not None:
        g.add_array("bias", b, dt)
    g.add_array("x", x, dt)
    g.add_array("h0", h0, dt)
    if dpm is not None:
        g.add_array("dp_mask", dpm, dt)
    if rdpm is not None:
        g.add_array("rdp_mask", rdpm, dt)
    g.add_array("h", hs, dt)
    return g


# ----------------------------------------------------------------------------
# activation family
# ----------------------------------------------------------------------------

ACT_NAMES = ["linear", "tanh", "sigmoid", "hard_sigmoid", "relu", "relu6", "leaky_relu",
             "elu", "selu", "softplus", "softsign", "exponential", "swish", "silu", "gelu",
             "mish", "softmax", "log_softmax"]
ACT_ROWS, ACT_N = 4, 64


def act_inputs(rng, npdt):
    inf = npdt(np.inf)

    def nb(v):  # v and its two float neighbours in this dtype
        v = npdt(v)
        return [v, np.nextafter(v, inf), np.nextafter(v, -inf)]

    t32 = math.log(np.finfo(np.float32).eps) + 2.0   # softplus threshold (f32) ~ -13.942
    t64 = math.log(np.finfo(np.float64).eps) + 2.0   # softplus threshold (f64) ~ -34.044
    sp = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1e-8, -1e-8, 1e-4, -1e-4, 4e-4, -4e-4,
          3.0, -3.0, 6.0, -6.0, 13.94, -13.94, 34.0, -34.0, 7.9, -7.9, 9.0, -9.0,
          12.0, -12.0]
    vals = [npdt(v) for v in sp]
    for v in (2.5, -2.5, 6.0, t32, -t32, t64, -t64):
        vals += nb(v)
    # Around 0: the smallest normal numbers, not nextafter(0) = a subnormal.
    # TF's CPU kernels flush subnormals to zero (FTZ/DAZ), so relu(5e-324)
    # is 0 in TF; libgru does IEEE arithmetic and does not emulate the flush.
    tiny = np.finfo(npdt).tiny
    vals += [npdt(tiny), npdt(-tiny)]
    n = ACT_ROWS * ACT_N
    rest = n - len(vals)
    grid = np.linspace(-12.0, 12.0, rest // 2)
    rnd = rng.uniform(-12.0, 12.0, rest - len(grid))
    allv = np.concatenate([np.array(vals, dtype=npdt), grid.astype(npdt), rnd.astype(npdt)])
    perm = rng.permutation(n)
    return allv[perm].reshape(ACT_ROWS, ACT_N)


def make_activation_case(name, act_name, dt):
    npdt, tfdt, _ = DT[dt]
    rng = rng_for(name)
    x = act_inputs(rng, npdt)
    if act_name == "exponential":
        # bounded so exp(x) stays finite (f32 overflows past ~88.7)
        x = np.minimum(x, npdt(80.0))
    dy = rng.standard_normal(x.shape).astype(npdt)
    fn = activations.get(act_name)
    xv = tf.constant(x, dtype=tfdt)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y = fn(xv)
        s = tf.reduce_sum(y * tf.constant(dy, dtype=tfdt))
    dx = tape.gradient(s, xv)
    y, dx = y.numpy(), dx.numpy()
    assert y.dtype == npdt and dx.dtype == npdt, (name, y.dtype, dx.dtype)
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(dx))):
        STATS.notes.append("%s: non-finite values in y or dx" % name)
    g = goldenio.Golden()
    g.add_meta("kind", "activation")
    g.add_meta("name", act_name)
    g.add_meta("dtype", dt)
    g.add_array("x", x, dt)
    g.add_array("y", y, dt)
    g.add_array("dy", dy, dt)
    g.add_array("dx", dx, dt)
    return g


# ----------------------------------------------------------------------------
# regularizer family
# ----------------------------------------------------------------------------

def _reg_specs():
    return [
        ("l1", "l1", lambda: regularizers.get("l1")),
        ("l2", "l2", lambda: regularizers.get("l2")),
        ("l1_l2", "l1_l2", lambda: regularizers.get("l1_l2")),
        ("L1L2-0.003-0.02", "L1L2", lambda: regularizers.L1L2(l1=0.003, l2=0.02)),
        ("L1-0.05", "L1", lambda: regularizers.L1(0.05)),
        ("L2-0.001", "L2", lambda: regularizers.L2(1e-3)),
        ("Orth-0.01-rows", "OrthogonalRegularizer",
         lambda: regularizers.OrthogonalRegularizer(factor=0.01, mode="rows")),
        ("Orth-0.2-columns", "OrthogonalRegularizer",
         lambda: regularizers.OrthogonalRegularizer(0.2, "columns")),
    ]


REG_SHAPES = [(3, 15), (5, 15), (15,), (2, 15)]


def _shape_tag(shape):
    return "x".join(str(d) for d in shape)


def make_regularizer_case(name, meta_name, ctor, shape, dt):
    npdt, tfdt, _ = DT[dt]
    rng = rng_for(name)
    w = (0.5 * rng.standard_normal(shape)).astype(npdt)
    flat = w.reshape(-1)
    for i in (1, 8, 13, 22, 37, 44):      # a few exact zeros (abs'(0) in the grad)
        if i < flat.size:
            flat[i] = 0
    reg = ctor()
    cfg = reg.get_config()
    g = goldenio.Golden()
    g.add_meta("kind", "regularizer")
    g.add_meta("name", meta_name)
    g.add_meta("l1", float(cfg["l1"]) if "l1" in cfg else None)
    g.add_meta("l2", float(cfg["l2"]) if "l2" in cfg else None)
    g.add_meta("factor", float(cfg["factor"]) if "factor" in cfg else None)
    g.add_meta("mode", cfg.get("mode"))
    g.add_meta("dtype", dt)
    var = tf.Variable(w, dtype=tfdt)
    try:
        with tf.GradientTape() as tape:
            p = reg(var)
        gr = tape.gradient(p, var)
        p, gr = p.numpy(), gr.numpy()
        assert p.shape == () and p.dtype == npdt and gr.dtype == npdt, (name, p.dtype)
        err = None
    except Exception as e:  # noqa: BLE001 - Keras' behaviour is the data here
        err = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:120])
    g.add_meta("error", err is not None)
    g.add_array("w", w, dt)
    if err is None:
        g.add_array("penalty", p, dt)
        g.add_array("grad", gr, dt)
    else:
        STATS.notes.append("%s: Keras raised %s (error 1 recorded)" % (name, err))
    return g


# ----------------------------------------------------------------------------
# constraint family
# ----------------------------------------------------------------------------

def _con_specs():
    return [
        ("max_norm", "max_norm", lambda: constraints.get("max_norm")),
        ("max_norm-0.5-ax1", "max_norm", lambda: constraints.MaxNorm(max_value=0.5, axis=1)),
        ("non_neg", "non_neg", lambda: constraints.get("non_neg")),
        ("unit_norm-ax0", "unit_norm", lambda: constraints.UnitNorm(axis=0)),
        ("unit_norm-ax1", "unit_norm", lambda: constraints.UnitNorm(axis=1)),
        ("min_max_norm-0.2-0.9-0.7-ax0", "min_max_norm",
         lambda: constraints.MinMaxNorm(min_value=0.2, max_value=0.9, rate=0.7, axis=0)),
        ("min_max_norm", "min_max_norm", lambda: constraints.get("min_max_norm")),
        ("radial_constraint", "radial_constraint", lambda: constraints.get("radial_constraint")),
    ]


CON_SHAPES = [(5, 15), (15,), (2, 15)]
RADIAL_EXTRA_SHAPES = [(3, 3, 2, 2), (4, 4, 1, 3)]


def constraint_weights(rng, shape, npdt):
    w = rng.standard_normal(shape)
    if len(shape) <= 2:
        n = shape[-1]
        # per-column scales so norms straddle 0.2, 0.5, 0.9, 1 and 2
        scales = np.geomspace(0.03, 2.5, n)[rng.permutation(n)]
        w = w * scales
        flat = w.reshape(-1)
        for i in (2, 9, 20):                # isolated zeros
            if i < flat.size:
                flat[i] = 0.0
        if len(shape) == 2 and shape[1] > 3:
            w[:, 3] = 0.0                     # a zero column (norm 0 along axis 0)
        if len(shape) == 2 and shape[0] >= 5:
            w[4, :] = 0.0                     # a zero row (norm 0 along axis 1)
    return w.astype(npdt)


def make_constraint_case(name, meta_name, ctor, shape, dt):
    npdt, tfdt, _ = DT[dt]
    rng = rng_for(name)
    w = constraint_weights(rng, shape, npdt)
    con = ctor()
    cfg = con.get_config()
    g = goldenio.Golden()
    g.add_meta("kind", "constraint")
    g.add_meta("name", meta_name)
    for k in ("max_value", "min_value", "rate", "axis"):
        g.add_meta(k, cfg.get(k))
    g.add_meta("dtype", dt)
    # Keras' NonNeg casts its mask to floatx, so with the default floatx
    # float32 it raises on float64 weights (a dtype mismatch, not a rule).
    # A float64 Keras model runs with floatx float64; evaluate f64 cases so.
    floatx = "float64" if dt == "f64" else "float32"
    g.add_meta("floatx", floatx)
    from tf_keras import backend as K
    K.set_floatx(floatx)
    try:
        out = con(tf.constant(w, dtype=tfdt)).numpy()
        assert out.dtype == npdt and out.shape == w.shape, (name, out.dtype, out.shape)
        err = None
    except Exception as e:  # noqa: BLE001
        err = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:120])
    finally:
        K.set_floatx("float32")
    g.add_meta("error", err is not None)
    g.add_array("w", w, dt)
    if err is None:
        g.add_array("out", out, dt)
    else:
        STATS.notes.append("%s: Keras raised %s (error 1 recorded)" % (name, err))
    return g


# ----------------------------------------------------------------------------
# driver
# ----------------------------------------------------------------------------

STATS = Stats()
FAMILIES = ("cell", "activation", "regularizer", "constraint", "layer", "model")
FAMILIES += (grad_cases.FAMILY,)
FAMILIES += ("optimizer",)
optimizer_cases.init(DT, case_seed, STATS.errors)
FAMILIES += loss_cases.FAMILIES
FAMILIES += (train_cases.FAMILY,)
layer_cases.init(DT, case_seed, np_cell_step, STATS.errors)


def all_cases(subset):
    """Yield (case-name, thunk) pairs."""
    pw, fp, cells = cell_design()
    if subset:
        cells = subset_filter(cells)
    for name, c in cells:
        yield name, (lambda n=name, c=c: make_cell_case(n, c))

    for act in ACT_NAMES:
        try:
            activations.get(act)
        except Exception as e:  # noqa: BLE001
            print("activation %r does not resolve in tf_keras.activations.get (%s: %s); skipped"
                  % (act, type(e).__name__, e))
            STATS.notes.append("activation %s skipped: does not resolve" % act)
            continue
        for dt in ("f32", "f64"):
            name = "activation/%s_%s" % (act, dt)
            yield name, (lambda n=name, a=act, d=dt: make_activation_case(n, a, d))

    for tag, meta_name, ctor in _reg_specs():
        for shape in REG_SHAPES:
            for dt in ("f32", "f64"):
                name = "regularizer/%s_w%s_%s" % (tag, _shape_tag(shape), dt)
                yield name, (lambda n=name, m=meta_name, k=ctor, s=shape, d=dt:
                             make_regularizer_case(n, m, k, s, d))

    for tag, meta_name, ctor in _con_specs():
        shapes = CON_SHAPES + (RADIAL_EXTRA_SHAPES if meta_name == "radial_constraint" else [])
        for shape in shapes:
            for dt in ("f32", "f64"):
                name = "constraint/%s_w%s_%s" % (tag, _shape_tag(shape), dt)
                yield name, (lambda n=name, m=meta_name, k=ctor, s=shape, d=dt:
                             make_constraint_case(n, m, k, s, d))

    _, _, layers = layer_cases.layer_design()
    if subset:
        layers = layer_cases.layer_subset_filter(layers)
        layer_cases.report_layer_subset(layers)
    for name, c in layers:
        yield name, (lambda n=name, c=c: layer_cases.make_layer_case(n, c))

    for name, thunk in model_cases.model_cases(subset):
        yield name, thunk

    grads = grad_cases.grad_design()
    if subset:
        grads = grad_cases.grad_subset_filter(grads)
        grad_cases.report_grad_subset(grads)
    for name, lname, c in grads:
        yield name, (lambda n=name, ln=lname, c=c: grad_cases.make_grad_case(n, ln, c))

    opts = optimizer_cases.optimizer_design()
    if subset:
        opts = optimizer_cases.optimizer_subset_filter(opts)
    optimizer_cases.report_optimizer_design(opts)
    for name, c in opts:
        yield name, (lambda n=name, c=c: optimizer_cases.make_optimizer_case(n, c))

    for name, thunk in loss_cases.all_cases():
        yield name, thunk

    for name, thunk in train_cases.all_cases(subset):
        yield name, thunk


def check_roundtrip(path, g):
    _, arrays = goldenio.read(path)
    for name, _, a in g.arrays:
        b = arrays[name]
        same = (a.shape == b.shape and a.dtype == b.dtype and
                np.array_equal(a.view(np.uint32 if a.dtype == np.float32 else np.uint64),
                               b.view(np.uint32 if b.dtype == np.float32 else np.uint64)))
        if not same:
            # nan payloads may legitimately differ; compare with equal_nan
            if not (a.shape == b.shape and np.array_equal(a, b, equal_nan=True)):
                raise AssertionError("round trip mismatch %s in %s" % (name, path))


def report_design():
    pw, fp, cells = cell_design()
    miss_pw = pairwise.check(CELL_FACTORS, pw)
    miss_all = pairwise.check(CELL_FACTORS, pw + fp)
    print("cell design: %d pairwise rows (lower bound %d; uncovered pairs: %d), "
          "%d full-product rows, %d cases in the union; union uncovered pairs: %d"
          % (len(pw), pairwise.lower_bound(CELL_FACTORS), len(miss_pw), len(fp),
             len(cells), len(miss_all)))
    if miss_pw or miss_all:
        raise SystemExit("pairwise coverage check FAILED: %r" % (miss_pw or miss_all)[:10])
    names = [n for n, _ in cells]
    assert len(set(names)) == len(names), "duplicate case names"
    layer_cases.report_layer_design()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--subset", action="store_true",
                    help="small cases only (for committing to tests/golden)")
    args = ap.parse_args()
    t0 = time.time()
    print("tensorflow %s, tf_keras %s, cell class %s.%s"
          % (tf.__version__, tf_keras.__version__, GRUCell.__module__, GRUCell.__name__))
    report_design()

    for fam in FAMILIES:
        for p in glob.glob(os.path.join(args.out, fam, "*.golden")):
            os.remove(p)

    for name, thunk in all_cases(args.subset):
        fam = name.split("/", 1)[0]
        try:
            g = thunk()
        except Exception as e:  # noqa: BLE001
            msg = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:200] if str(e) else "")
            print("ERROR generating %s: %s (nothing recorded)" % (name, msg))
            STATS.errors.append((name, msg))
            continue
        path = os.path.join(args.out, name + ".golden")
        g.write(path)
        check_roundtrip(path, g)
        STATS.counts[fam] += 1

    print("wrote to %s%s:" % (args.out, " (subset)" if args.subset else ""))
    for fam in FAMILIES:
        print("  %-12s %4d cases" % (fam, STATS.counts[fam]))
    print("  total        %4d cases" % sum(STATS.counts.values()))
    print("cell: implementation forced 2->1 (recurrent_dropout) in %d cases" % STATS.impl_forced)
    print("cell: max |keras - numpy reference| f32 %.3g, f64 %.3g"
          % (STATS.max_ref_err["f32"], STATS.max_ref_err["f64"]))
    for (dt, rate), vals in sorted(STATS.mask_scales.items()):
        print("cell: dropout scale %s rate %g: %s" % (
            dt, rate, ", ".join(("%.9g" if dt == "f32" else "%.17g") % v for v in sorted(vals))))
    print("cell: hard_sigmoid gate pre-activations: %d below -2.5, %d in [-2.5,2.5], %d above 2.5"
          % (STATS.hs_regions["below"], STATS.hs_regions["linear"], STATS.hs_regions["above"]))
    if STATS.hs_cases_missing_region:
        print("cell: hard_sigmoid cases lacking one region: %s"
              % ", ".join(STATS.hs_cases_missing_region))
    layer_cases.print_layer_stats()
    grad_cases.print_grad_stats()
    optimizer_cases.print_optimizer_stats()
    train_cases.print_train_stats()
    for n in STATS.notes:
        print("note:", n)
    for n, m in STATS.errors:
        print("ERROR:", n, m)
    print("done in %.1f s" % (time.time() - t0))
    return 1 if STATS.errors else 0


if __name__ == "__main__":
    sys.exit(main())
