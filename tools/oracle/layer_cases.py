"""The `layer` golden family: tf.compat.v1.keras.layers.GRU, RNN(GRUCell) and
Bidirectional(GRU) over sequences, driven through real tf-keras 2.21.

Imported by make_goldens.py after it has set TF_USE_LEGACY_KERAS=1 and
imported TensorFlow; make_goldens calls init() with its shared helpers. The
design and the golden contents are described in README.md and FORMAT.md.
"""

import math
import random
from collections import Counter, defaultdict

import numpy as np
import tensorflow as tf

import goldenio
import pairwise

L = tf.compat.v1.keras.layers
for _cls, _mod in ((L.GRU, "tf_keras.src.layers.rnn.gru_v1"),
                   (L.RNN, "tf_keras.src.layers.rnn.base_rnn"),
                   (L.Bidirectional, "tf_keras.src.layers.rnn.bidirectional"),
                   (L.GRUCell, "tf_keras.src.layers.rnn.gru_v1")):
    assert _cls.__module__ == _mod, (_cls, _cls.__module__, _mod)

# Filled by init(): DT, case_seed, np_cell_step and the error list of
# make_goldens (so a failed self-check fails the run).
_H = {}


def init(dt, case_seed, np_cell_step, errors):
    _H.update(DT=dt, case_seed=case_seed, np_cell_step=np_cell_step, errors=errors)


# ----------------------------------------------------------------------------
# design
# ----------------------------------------------------------------------------

# "wrapper" combines the wrapper and Bidirectional's merge mode (merge_mode
# only exists for Bidirectional), so every merge mode meets every other option.
LAYER_FACTORS = {
    "wrapper": ["gru", "rnn", "bi-concat", "bi-sum", "bi-mul", "bi-ave", "bi-none"],
    "mask": ["none", "leading", "trailing", "interior", "fullsample"],
    "T": [1, 5, 17],
    "drop": ["none", "in", "rec", "both"],
    "training": [False, True],
    "reset_after": [False, True],
    "implementation": [1, 2],
    "go_backwards": [False, True],
    "return_sequences": [False, True],
    "return_state": [False, True],
    "zero_output_for_mask": [False, True],
    "time_major": [False, True],
    "initial_state": [False, True],
    "stateful": [False, True],
    "batch": [1, 4],
    "fu": [(2, 3), (4, 6)],
    "dtype": ["f32", "f64"],
}
LAYER_DROP = {"none": (0.0, 0.0), "in": (0.3, 0.0), "rec": (0.0, 0.25), "both": (0.3, 0.25)}
FULL_PRODUCT = ("go_backwards", "mask", "return_sequences", "stateful")
MASK_ABBR = {"none": "none", "leading": "lead", "trailing": "trail", "interior": "inter",
             "fullsample": "full"}


def layer_case_name(prefix, idx, c):
    f, u = c["fu"]
    return ("layer/%s_%03d_%s_m-%s_T%d_B%d_F%dU%d_ra%d_i%d_gb%d_rs%d_rst%d_zo%d_tm%d_is%d_st%d"
            "_drop-%s_tr%d_%s_%s" % (
                prefix, idx, c["wrapper"], MASK_ABBR[c["mask"]], c["T"], c["batch"], f, u,
                c["reset_after"], c["implementation"], c["go_backwards"],
                c["return_sequences"], c["return_state"], c["zero_output_for_mask"],
                c["time_major"], c["initial_state"], c["stateful"], c["drop"], c["training"],
                "sig" if c["recurrent_activation"] == "sigmoid" else "hs", c["dtype"]))


def _pairwise_rows():
    best = None
    for s in range(20):
        rows = pairwise.generate(LAYER_FACTORS, seed=s)
        if best is None or len(rows) < len(best):
            best = rows
    return best


def _product_rows():
    """go_backwards x mask x return_sequences x stateful (40 rows); the other
    options are drawn from a fixed-seed generator (T from {5, 17} so the mask
    patterns are not degenerate)."""
    r = random.Random(20240531)
    rows = []
    for gb in (False, True):
        for mk in LAYER_FACTORS["mask"]:
            for rs in (False, True):
                for st in (False, True):
                    row = {k: r.choice(v) for k, v in LAYER_FACTORS.items()}
                    row.update(go_backwards=gb, mask=mk, return_sequences=rs, stateful=st,
                               T=r.choice([5, 17]))
                    rows.append(row)
    # every wrapper/merge at least 5 times: rotate it instead of drawing
    for i, row in enumerate(rows):
        row["wrapper"] = LAYER_FACTORS["wrapper"][i % 7]
    return rows


def layer_design():
    pw = _pairwise_rows()
    fp = _product_rows()
    # a few cases use the sigmoid recurrent activation (TF2 default); the v1
    # default hard_sigmoid elsewhere
    for i, row in enumerate(pw):
        row["recurrent_activation"] = "sigmoid" if i % 6 == 5 else "hard_sigmoid"
    for i, row in enumerate(fp):
        row["recurrent_activation"] = "sigmoid" if i % 8 == 3 else "hard_sigmoid"
    cases = [(layer_case_name("pw", i, c), c) for i, c in enumerate(pw)]
    cases += [(layer_case_name("fp", i, c), c) for i, c in enumerate(fp)]
    return pw, fp, cases


def report_layer_design():
    pw, fp, cases = layer_design()
    miss_pw = pairwise.check(LAYER_FACTORS, pw)
    miss_all = pairwise.check(LAYER_FACTORS, pw + fp)
    prod = {tuple(repr(r[k]) for k in FULL_PRODUCT) for r in pw + fp}
    want = 1
    for k in FULL_PRODUCT:
        want *= len(LAYER_FACTORS[k])
    print("layer design: %d pairwise rows (lower bound %d; uncovered pairs: %d), "
          "%d full-product rows (%s: %d of %d combinations present), %d cases in the union; "
          "union uncovered pairs: %d"
          % (len(pw), pairwise.lower_bound(LAYER_FACTORS), len(miss_pw), len(fp),
             " x ".join(FULL_PRODUCT), len(prod), want, len(cases), len(miss_all)))
    if miss_pw or miss_all:
        raise SystemExit("layer pairwise coverage check FAILED: %r" % (miss_pw or miss_all)[:10])
    if len(prod) != want:
        raise SystemExit("layer full-product check FAILED")
    names = [n for n, _ in cases]
    assert len(set(names)) == len(names), "duplicate layer case names"


def layer_subset_filter(cases):
    """Committed subset: the cases with T <= 5, plus the T=17 cases (smallest
    first) needed to cover again every pair that does not involve T=17, plus
    the smallest T=17 case of each wrapper (long stateful chunks)."""
    order = {n: i for i, (n, _) in enumerate(cases)}
    keep = {n: (n, c) for n, c in cases if c["T"] <= 5}

    def missing():
        rows = [c for _, c in keep.values()]
        return {m for m in map(repr, pairwise.check(LAYER_FACTORS, rows))
                if "('T', 17)" not in m}

    rest = sorted((nc for nc in cases if nc[0] not in keep),
                  key=lambda nc: (nc[1]["batch"] * nc[1]["fu"][1], order[nc[0]]))
    miss = missing()
    while miss:
        best, gain = None, 0
        for n, c in rest:
            if n in keep:
                continue
            keep[n] = (n, c)
            g = len(miss) - len(missing())
            del keep[n]
            if g > gain:
                best, gain = (n, c), g
        if best is None:
            break
        keep[best[0]] = best
        miss = missing()
    for w in LAYER_FACTORS["wrapper"]:
        big = [nc for nc in rest if nc[1]["wrapper"] == w]
        if big:
            keep.setdefault(big[0][0], big[0])
    return sorted(keep.values(), key=lambda nc: order[nc[0]])


def report_layer_subset(sub):
    rows = [c for _, c in sub]
    miss = pairwise.check(LAYER_FACTORS, rows)
    other = [m for m in miss if ("T", 17) not in m]
    print("layer subset: %d cases; uncovered pairs: %d, all involving T=17: %s"
          % (len(sub), len(miss), "yes" if not other else "NO %r" % other[:5]))
    if other:
        raise SystemExit("layer subset coverage check FAILED")


# ----------------------------------------------------------------------------
# inputs
# ----------------------------------------------------------------------------

def _gap(b, B, T):
    """Length of sample b's leading/trailing gap."""
    return max(1, T // 3) if B == 1 else -(-b * T // B)


def mask_pattern(kind, B, T):
    """(B, T) bool, True = valid step; None for kind none."""
    if kind == "none":
        return None
    m = np.ones((B, T), dtype=bool)
    for b in range(B):
        if kind == "leading":
            m[b, :_gap(b, B, T)] = False
        elif kind == "trailing":
            g = _gap(b, B, T)
            if g:
                m[b, T - g:] = False
        else:  # interior (and the other samples of fullsample)
            if T >= 3:
                for t in range(1, T - 1):
                    if (t + b) % 3 == 0:
                        m[b, t] = False
                if b % 2 == 1 and T >= 5:
                    m[b, T // 2:T // 2 + 2] = False
            elif b % 2 == 1:
                m[b, :] = False
    if kind == "fullsample":
        m[B - 1, :] = False
    return m


def chunk_lengths(T, stateful):
    if not stateful or T == 1:
        return [T]
    if T == 5:
        return [2, 2, 1]
    a = -(-T // 3)
    return [a, a, T - 2 * a]


def make_weights(rng, F, U, reset_after):
    limw = math.sqrt(6.0 / (F + 3 * U))
    limr = math.sqrt(6.0 / (U + 3 * U))
    W = rng.uniform(-limw, limw, (F, 3 * U))
    R = rng.uniform(-limr, limr, (U, 3 * U))
    b = rng.uniform(-0.5, 0.5, (2, 3 * U) if reset_after else (3 * U,))
    # as in the cell family: every other z/r unit 4x, so hard_sigmoid's
    # clipped and linear regions are both reached
    for g in (0, 1):
        cols = [g * U + j for j in range(0, U, 2)]
        W[:, cols] *= 4.0
        R[:, cols] *= 4.0
        b[..., cols] *= 4.0
    return W, R, b


# ----------------------------------------------------------------------------
# numpy reference (float64) of backend.rnn + Bidirectional, self-check
# ----------------------------------------------------------------------------

def np_rnn(x, mask, h, W, R, b, cc, impl, dp, rdp, dpm, rdpm, go_backwards, zero_out):
    """x (B,Tc,F), mask (B,Tc) or None, h (B,U): outputs (B,Tc,U) in processing
    order, last output, final state."""
    B, Tc, _ = x.shape
    prev = np.zeros_like(h)
    outs = []
    for k in range(Tc):
        t = Tc - 1 - k if go_backwards else k
        cand = _H["np_cell_step"](x[:, t], h, W, R, b, cc, impl, dp, rdp, dpm, rdpm, [])
        if mask is not None:
            m = mask[:, t][:, None]
            out = np.where(m, cand, 0.0 if zero_out else prev)
            h = np.where(m, cand, h)
        else:
            out = h = cand
        prev = out
        outs.append(out)
    return np.stack(outs, axis=1), outs[-1], h


# ----------------------------------------------------------------------------
# one case
# ----------------------------------------------------------------------------

class LayerStats:
    def __init__(self):
        self.max_ref_err = defaultdict(float)
        self.max_ref_case = {}
        self.mask_scales = defaultdict(set)
        self.impl_forced = 0
        self.chunk_cmp = Counter()      # outcome of chunked-vs-long self-check
        self.chunk_notes = []
        self.masked_chunk_starts = 0    # cases where a chunk i>0 starts masked


LSTATS = LayerStats()


def _f64(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


def _build(c, U, F, dtname, ract, dp, rdp, shape):
    kw = dict(return_sequences=c["return_sequences"], return_state=c["return_state"],
              go_backwards=c["go_backwards"], stateful=c["stateful"],
              time_major=c["time_major"], zero_output_for_mask=c["zero_output_for_mask"],
              dtype=dtname)
    cellkw = dict(activation="tanh", recurrent_activation=ract, reset_after=c["reset_after"],
                  implementation=c["implementation"], dropout=dp, recurrent_dropout=rdp)
    if c["wrapper"] == "rnn":
        layer = L.RNN(L.GRUCell(U, dtype=dtname, **cellkw), **kw)
    else:
        layer = L.GRU(U, **cellkw, **kw)
    if c["wrapper"].startswith("bi-"):
        merge = c["wrapper"][3:]
        # dtype too: the wrapper has its own dtype policy (floatx, float32 by
        # default) and its __call__ autocasts x to it before the float64 GRUs
        # see it, so a float64 Bidirectional without dtype= rounds x to f32
        layer = L.Bidirectional(layer, merge_mode=None if merge == "none" else merge,
                                dtype=dtname)
    layer.build(tf.TensorShape(shape))
    return layer


def add_layer_inputs(g, dt, wf, wb, x, mask, h0, h0b):
    """The arrays every layer-shaped golden starts with (layer and grad
    families): both directions' weights, x, the mask and initial states."""
    for sfx, w in (("", wf), ("_b", wb)):
        if w is None:
            continue
        g.add_array("kernel" + sfx, w[0], dt)
        g.add_array("recurrent_kernel" + sfx, w[1], dt)
        g.add_array("bias" + sfx, w[2], dt)
    g.add_array("x", x, dt)
    if mask is not None:
        g.add_array("mask", mask.astype(np.float64), "f64")
    if h0 is not None:
        g.add_array("h0", h0, dt)
    if h0b is not None:
        g.add_array("h0_b", h0b, dt)


def layer_inputs(name, c):
    """The weights and inputs of a case, drawn from its seed (the grad family
    reuses them): forward / backward weights (W, R, b), x (B,T,F), h0, h0_b,
    the (B,T) bool mask, and x and mask in the layout given to Keras."""
    npdt = _H["DT"][c["dtype"]][0]
    F, U = c["fu"]
    B, T = c["batch"], c["T"]
    tm = c["time_major"]
    bidir = c["wrapper"].startswith("bi-")
    rng = np.random.default_rng(_H["case_seed"](name))
    wf = make_weights(rng, F, U, c["reset_after"])
    wb = make_weights(rng, F, U, c["reset_after"]) if bidir else None
    x_bm = rng.standard_normal((B, T, F))
    h0 = rng.uniform(-0.8, 0.8, (B, U)) if c["initial_state"] else None
    h0b = rng.uniform(-0.8, 0.8, (B, U)) if c["initial_state"] and bidir else None
    wf = tuple(a.astype(npdt) for a in wf)
    wb = None if wb is None else tuple(a.astype(npdt) for a in wb)
    x_bm = x_bm.astype(npdt)
    h0 = None if h0 is None else h0.astype(npdt)
    h0b = None if h0b is None else h0b.astype(npdt)
    m_bm = mask_pattern(c["mask"], B, T)
    # the layouts given to Keras: time-major x is (T,B,F) and its mask (T,B)
    # (backend.rnn swaps a mask to time-major only when time_major is false)
    x = np.ascontiguousarray(x_bm.transpose(1, 0, 2)) if tm else x_bm
    mask = None if m_bm is None else (np.ascontiguousarray(m_bm.T) if tm else m_bm)
    return wf, wb, x_bm, h0, h0b, m_bm, x, mask


def make_layer_case(name, c):
    npdt, tfdt, dtname = _H["DT"][c["dtype"]]
    dt = c["dtype"]
    F, U = c["fu"]
    B, T = c["batch"], c["T"]
    tm, gb, rs, rst, st = (c["time_major"], c["go_backwards"], c["return_sequences"],
                          c["return_state"], c["stateful"])
    bidir = c["wrapper"].startswith("bi-")
    merge = c["wrapper"][3:] if bidir else "none"
    ract = c["recurrent_activation"]
    dp, rdp = LAYER_DROP[c["drop"]]
    tr = c["training"]
    seed = _H["case_seed"](name)
    wf, wb, x_bm, h0, h0b, m_bm, x, mask = layer_inputs(name, c)

    chunks = chunk_lengths(T, st)
    bounds = np.cumsum([0] + chunks)

    def tslice(a, s, e):
        return a[s:e] if tm else a[:, s:e]

    def call_all(layer, pieces):
        """Call layer on each (s, e); return per-chunk (outs, states, masks)."""
        cells = ([layer.forward_layer.cell, layer.backward_layer.cell] if bidir
                 else [layer.cell])
        res = []
        for s, e in pieces:
            xc = tf.constant(tslice(x, s, e), dtype=tfdt)
            kwargs = {"training": tr}
            if mask is not None:
                kwargs["mask"] = tf.constant(tslice(mask, s, e))
            if h0 is not None:
                kwargs["initial_state"] = [tf.constant(h0, dtype=tfdt)] + (
                    [tf.constant(h0b, dtype=tfdt)] if bidir else [])
            y = layer(xc, **kwargs)
            y = y if isinstance(y, (list, tuple)) else [y]
            y = [v.numpy() for v in y]
            for v in y:
                assert v.dtype == npdt, (name, v.dtype)
            nout = 2 if (bidir and merge == "none") else 1
            outs, states = y[:nout], y[nout:]
            assert len(states) == ((2 if bidir else 1) if rst else 0), (name, len(y))
            masks = []
            for cell in cells:
                mm = []
                for rate, cache, getter, arg in (
                        (dp, cell._dropout_mask_cache, cell.get_dropout_mask_for_cell,
                         tf.zeros((B, F), dtype=tfdt)),
                        (rdp, cell._recurrent_dropout_mask_cache,
                         cell.get_recurrent_dropout_mask_for_cell, tf.zeros((B, U), dtype=tfdt))):
                    if rate == 0:
                        assert getter(arg, training=True, count=3) is None
                        mm.append(None)
                        continue
                    # the call filled the cache (one eager context); reading
                    # it returns the masks that call used
                    assert len(cache) == 1, (name, len(cache))
                    got = getter(arg, training=True, count=3)
                    mm.append(np.stack([v.numpy() for v in got]))
                masks.append(mm)
            res.append((outs, states, masks))
        return res

    tf.random.set_seed(seed)
    layer = _build(c, U, F, dtname, ract, dp, rdp, tslice(x, 0, chunks[0]).shape)
    if bidir:
        layer.forward_layer.set_weights(list(wf))
        layer.backward_layer.set_weights(list(wb))
        fcell = layer.forward_layer
    else:
        layer.set_weights(list(wf))
        fcell = layer
    impl_eff = int(fcell.cell.implementation)
    if impl_eff != c["implementation"]:
        LSTATS.impl_forced += 1
        assert rdp != 0 and impl_eff == 1, (name, impl_eff)
    zo_eff = bool(fcell.zero_output_for_mask)
    if bidir:
        assert zo_eff == rs and layer.backward_layer.zero_output_for_mask == rs, name
        assert layer.backward_layer.go_backwards == (not gb), name
    else:
        assert zo_eff == c["zero_output_for_mask"], name

    pieces = [(int(bounds[i]), int(bounds[i + 1])) for i in range(len(chunks))]
    res = call_all(layer, pieces)

    # mask values: 0 or 1/(1-rate) when training, all ones otherwise
    for _, _, masks in res:
        for mm in masks:
            for m, rate, tag in ((mm[0], dp, "dp"), (mm[1], rdp, "rdp")):
                if m is None:
                    continue
                assert m.dtype == npdt and m.shape[:2] == (3, B), (name, tag, m.shape)
                if tr:
                    nz = np.unique(m[m != 0])
                    assert len(nz) <= 1, (name, tag, nz)
                    want = 1.0 / (1.0 - rate)
                    if len(nz):
                        assert abs(float(nz[0]) - want) <= 4 * np.finfo(npdt).eps * want, (
                            name, tag, nz, want)
                        LSTATS.mask_scales[(dt, rate)].add(float(nz[0]))
                else:
                    assert np.all(m == 1), (name, tag)

    # numpy reference of every chunk
    cc = {"use_bias": True, "reset_after": c["reset_after"], "activation": "tanh",
          "recurrent_activation": ract}
    dirs = [(wf, h0, gb)] + ([(wb, h0b, not gb)] if bidir else [])
    stored = [np.zeros((B, U)) for _ in dirs]
    err = 0.0
    for ci, ((s, e), (outs, states, masks)) in enumerate(zip(pieces, res)):
        xs = _f64(x_bm[:, s:e])
        ms = None if m_bm is None else m_bm[:, s:e]
        ys, hs = [], []
        for d, (w, hi, g) in enumerate(dirs):
            if st:
                init = stored[d] if (hi is None or np.any(stored[d] != 0)) else _f64(hi)
            else:
                init = np.zeros((B, U)) if hi is None else _f64(hi)
            seq, last, hfin = np_rnn(xs, ms, init, _f64(w[0]), _f64(w[1]), _f64(w[2]), cc,
                                     impl_eff, dp, rdp, _f64(masks[d][0]), _f64(masks[d][1]),
                                     g, zo_eff)
            if st:
                stored[d] = hfin
            ys.append(seq if rs else last)
            hs.append(hfin)
        if bidir:
            yf, yb = ys
            if rs:
                yb = yb[:, ::-1]
            ref = {"concat": lambda: [np.concatenate([yf, yb], axis=-1)],
                   "sum": lambda: [yf + yb], "ave": lambda: [(yf + yb) / 2],
                   "mul": lambda: [yf * yb], "none": lambda: [yf, yb]}[merge]()
        else:
            ref = ys
        if rs and tm:
            ref = [r.transpose(1, 0, 2) for r in ref]
        assert len(ref) == len(outs), name
        for r, o in zip(ref, outs):
            assert r.shape == o.shape, (name, r.shape, o.shape)
            err = max(err, float(np.max(np.abs(r - o.astype(np.float64)))))
        if rst:
            for r, o in zip(hs, states):
                err = max(err, float(np.max(np.abs(r - o.astype(np.float64)))))
    if err > LSTATS.max_ref_err[dt]:
        LSTATS.max_ref_err[dt] = err
        LSTATS.max_ref_case[dt] = name
    tol = 2e-5 if dt == "f32" else 1e-12
    if not err <= tol:
        _H["errors"].append((name, "numpy layer reference differs by %.3g" % err))

    # stateful: chunked calls against one long call of a fresh identical layer
    if st and len(chunks) > 1:
        if m_bm is not None and any(not m_bm[:, s].all() for s, _ in pieces[1:]):
            LSTATS.masked_chunk_starts += 1
        if rs or rst:
            _chunk_vs_long(name, c, res, pieces, U, F, dtname, ract, dp, rdp, wf, wb,
                           call_all, zo_eff, m_bm, bidir)
        else:
            LSTATS.chunk_cmp["skipped (neither return_sequences nor return_state)"] += 1

    # ---- the golden
    g = goldenio.Golden()
    for k, v in (("kind", "layer"),
                 ("wrapper", "bidirectional" if bidir else c["wrapper"]),
                 ("merge_mode", merge if bidir else None), ("dtype", dt), ("units", U),
                 ("input_dim", F), ("batch", B), ("steps", T), ("activation", "tanh"),
                 ("recurrent_activation", ract), ("use_bias", True),
                 ("reset_after", c["reset_after"]), ("implementation", impl_eff),
                 ("implementation_requested", c["implementation"]), ("dropout", dp),
                 ("recurrent_dropout", rdp), ("training", tr), ("go_backwards", gb),
                 ("return_sequences", rs), ("return_state", rst), ("stateful", st),
                 ("time_major", tm), ("zero_output_for_mask", c["zero_output_for_mask"]),
                 ("zero_output_for_mask_effective", zo_eff), ("mask_kind", c["mask"]),
                 ("initial_state", c["initial_state"]), ("nchunks", len(chunks)),
                 ("chunks", ",".join(str(n) for n in chunks)),
                 ("output_width", 2 * U if merge == "concat" else U)):
        g.add_meta(k, v)
    add_layer_inputs(g, dt, wf, wb, x, mask, h0, h0b)
    for ci, (outs, states, masks) in enumerate(res):
        for d, mm in enumerate(masks):
            sfx = ("_b" if d else "") + "_c%d" % ci
            if mm[0] is not None:
                g.add_array("dp_mask" + sfx, mm[0], dt)
            if mm[1] is not None:
                g.add_array("rdp_mask" + sfx, mm[1], dt)
        for d, o in enumerate(outs):
            g.add_array(("out_b" if d else "out") + "_c%d" % ci, o, dt)
        for d, h in enumerate(states):
            g.add_array(("state_b" if d else "state") + "_c%d" % ci, h, dt)
    return g


def _chunk_vs_long(name, c, res, pieces, U, F, dtname, ract, dp, rdp, wf, wb,
                   call_all, zo_eff, m_bm, bidir):
    tm = c["time_major"]
    T = c["T"]
    if c["training"] and (dp or rdp):
        LSTATS.chunk_cmp["skipped (dropout masks differ per call)"] += 1
        return
    long_layer = _build(c, U, F, dtname, ract, dp, rdp,
                        (T, c["batch"], F) if tm else (c["batch"], T, F))
    if bidir:
        long_layer.forward_layer.set_weights(list(wf))
        long_layer.backward_layer.set_weights(list(wb))
    else:
        long_layer.set_weights(list(wf))
    (louts, lstates, _), = call_all(long_layer, [(0, T)])
    axis = 0 if tm else 1
    diff = 0.0
    if c["return_sequences"]:   # the outputs, concatenated in time
        for d in range(len(louts)):
            cat = np.concatenate([r[0][d] for r in res], axis=axis)
            diff = max(diff, float(np.max(np.abs(cat.astype(np.float64) -
                                                   louts[d].astype(np.float64)))))
    for d in range(len(lstates)):   # the final states
        diff = max(diff, float(np.max(np.abs(res[-1][1][d].astype(np.float64) -
                                               lstates[d].astype(np.float64)))))
    # a chunk call restarts the "previous output" of masked steps at 0
    masked_start = (c["return_sequences"] and m_bm is not None and not zo_eff and
                    any(not m_bm[:, s].all() for s, _ in pieces[1:]))
    expect_equal = not c["go_backwards"] and not bidir and not masked_start
    why = ("go_backwards" if c["go_backwards"] else "bidirectional" if bidir else
           "masked step at a chunk start, zero_output_for_mask=0" if masked_start else "")
    if expect_equal:
        if diff == 0.0:
            LSTATS.chunk_cmp["equal (bitwise)"] += 1
        else:
            LSTATS.chunk_cmp["DIFFER (unexpected)"] += 1
            _H["errors"].append((name, "stateful chunked output differs from one long call by "
                                       "%.3g" % diff))
    else:
        LSTATS.chunk_cmp["differ as expected (%s)" % why if diff else
                         "equal although %s" % why] += 1


def print_layer_stats():
    print("layer: implementation forced 2->1 (recurrent_dropout) in %d cases" % LSTATS.impl_forced)
    print("layer: max |keras - numpy reference| f32 %.3g (%s), f64 %.3g (%s)"
          % (LSTATS.max_ref_err["f32"], LSTATS.max_ref_case.get("f32", "-"),
             LSTATS.max_ref_err["f64"], LSTATS.max_ref_case.get("f64", "-")))
    for (dt, rate), vals in sorted(LSTATS.mask_scales.items()):
        print("layer: dropout scale %s rate %g: %s" % (
            dt, rate, ", ".join(("%.9g" if dt == "f32" else "%.17g") % v for v in sorted(vals))))
    print("layer: stateful cases with a masked step at the start of a later chunk: %d"
          % LSTATS.masked_chunk_starts)
    for k, v in sorted(LSTATS.chunk_cmp.items()):
        print("layer: stateful chunked vs one long call: %s: %d" % (k, v))
