"""The `grad` golden family: gradients from tf.GradientTape through
tf.compat.v1.keras.layers.GRU, RNN(GRUCell) and Bidirectional(GRU), over the
configurations of the `layer` family (layer_cases.py).

Each case takes the layer case's configuration, weights and inputs (drawn from
the layer case's seed, so the same numbers), calls the Keras layer ONCE on the
whole sequence inside a GradientTape (stateful cases too: one call on a fresh
layer, whose stored state is zero, so a given initial_state is the one used;
chunked calls would make "the gradient" ambiguous), with the loss

    L = sum(c_out * output) [+ sum(c_out_b * output_b)]
        + sum(c_state * state) [+ sum(c_state_b * state_b)]   (return_state)

with seeded random c_* (N(0,1), recorded), and records dL/dx, dL/dh0 (and
dL/dh0_b) when an initial state is given (watched tensors), and dL/d every
weight of each direction. The dropout masks are those the call drew, read
from the cells' caches after it (as the layer family does).

Self-check (float64 cases): the Keras gradient against a central finite
difference of an independent numpy (float64) model of the same call, along
one random direction in the space of (x, h0s, weights).

Imported by make_goldens.py after layer_cases.init(); see FORMAT.md.
"""

import numpy as np
import tensorflow as tf

import goldenio
import layer_cases

FAMILY = "grad"


class GradStats:
    def __init__(self):
        self.fd_worst = 0.0
        self.fd_case = "-"
        self.fd_checked = 0
        self.none_grads = []    # (case, variable) where Keras returned None


GSTATS = GradStats()


def grad_design():
    """(grad-name, layer-name, config) for every layer case."""
    _, _, layers = layer_cases.layer_design()
    return [("grad/" + n.split("/", 1)[1], n, c) for n, c in layers]


def grad_subset_filter(cases):
    """Committed subset: the layer subset's cases with T <= 5 and B*U <= 12
    (the small end), plus the smallest case of each wrapper x dtype still
    missing, plus the smallest T=17 case (a long BPTT)."""
    lsub = {n for n, _ in layer_cases.layer_subset_filter([(ln, c) for _, ln, c in cases])}
    keep = {n for n, ln, c in cases
            if ln in lsub and c["T"] <= 5 and c["batch"] * c["fu"][1] <= 12}
    def size(c):
        return c["batch"] * c["T"] * c["fu"][1] * (2 if c["wrapper"].startswith("bi") else 1)
    have = {(c["wrapper"], c["dtype"]) for n, _, c in cases if n in keep}
    for w in layer_cases.LAYER_FACTORS["wrapper"]:
        for dt in ("f32", "f64"):
            cand = [(size(c), i, n) for i, (n, _, c) in enumerate(cases)
                    if c["wrapper"] == w and c["dtype"] == dt]
            if (w, dt) not in have and cand:
                keep.add(min(cand)[2])
    keep.add(min((size(c), i, n) for i, (n, _, c) in enumerate(cases) if c["T"] == 17)[2])
    return [(n, ln, c) for n, ln, c in cases if n in keep]


def report_grad_subset(sub):
    wd = {(c["wrapper"], c["dtype"]) for _, _, c in sub}
    print("grad subset: %d cases; %d of %d wrapper x dtype pairs, %d with T=17"
          % (len(sub), len(wd), 2 * len(layer_cases.LAYER_FACTORS["wrapper"]),
             sum(c["T"] == 17 for _, _, c in sub)))
    if len(wd) != 2 * len(layer_cases.LAYER_FACTORS["wrapper"]):
        raise SystemExit("grad subset lacks a wrapper x dtype pair")


def _np_loss(c, x_bm, m_bm, hs, ws, dp, rdp, masks, impl, couts, cstates):
    """float64 numpy model of the single call and of L."""
    cc = {"use_bias": True, "reset_after": c["reset_after"], "activation": "tanh",
          "recurrent_activation": c["recurrent_activation"]}
    bidir = c["wrapper"].startswith("bi-")
    merge = c["wrapper"][3:] if bidir else "none"
    rs, gb = c["return_sequences"], c["go_backwards"]
    B = x_bm.shape[0]
    U = ws[0][1].shape[0]
    zo = rs if bidir else c["zero_output_for_mask"]
    ys, fin = [], []
    for d in range(len(ws)):
        h = np.zeros((B, U)) if hs[d] is None else hs[d]
        seq, last, hf = layer_cases.np_rnn(x_bm, m_bm, h, ws[d][0], ws[d][1], ws[d][2], cc, impl,
                                           dp, rdp, masks[d][0], masks[d][1],
                                           gb if d == 0 else not gb, zo)
        ys.append(seq if rs else last)
        fin.append(hf)
    if bidir:
        yf, yb = ys
        if rs:
            yb = yb[:, ::-1]
        outs = {"concat": lambda: [np.concatenate([yf, yb], axis=-1)],
                "sum": lambda: [yf + yb], "ave": lambda: [(yf + yb) / 2],
                "mul": lambda: [yf * yb], "none": lambda: [yf, yb]}[merge]()
    else:
        outs = ys
    if rs and c["time_major"]:
        outs = [o.transpose(1, 0, 2) for o in outs]
    L = sum(float(np.sum(co * o)) for co, o in zip(couts, outs))
    if c["return_state"]:
        L += sum(float(np.sum(cs * h)) for cs, h in zip(cstates, fin))
    return L


def make_grad_case(name, lname, c):
    H = layer_cases._H
    npdt, tfdt, dtname = H["DT"][c["dtype"]]
    dt = c["dtype"]
    F, U = c["fu"]
    B, T = c["batch"], c["T"]
    tm, rs, rst = c["time_major"], c["return_sequences"], c["return_state"]
    bidir = c["wrapper"].startswith("bi-")
    merge = c["wrapper"][3:] if bidir else "none"
    dp, rdp = layer_cases.LAYER_DROP[c["drop"]]
    tr = c["training"]
    ndir = 2 if bidir else 1

    wf, wb, x_bm, h0, h0b, m_bm, x, mask = layer_cases.layer_inputs(lname, c)
    seed = H["case_seed"](lname)
    crng = np.random.default_rng(H["case_seed"](name))
    W = 2 * U if merge == "concat" else U
    oshape = ((T, B, W) if tm else (B, T, W)) if rs else (B, W)
    nout = 2 if bidir and merge == "none" else 1
    couts = [crng.standard_normal(oshape).astype(npdt) for _ in range(nout)]
    cstates = [crng.standard_normal((B, U)).astype(npdt) for _ in range(ndir)] if rst else []

    tf.random.set_seed(seed)
    layer = layer_cases._build(c, U, F, dtname, c["recurrent_activation"], dp, rdp, x.shape)
    if bidir:
        layer.forward_layer.set_weights(list(wf))
        layer.backward_layer.set_weights(list(wb))
        cells = [layer.forward_layer.cell, layer.backward_layer.cell]
        impl = int(layer.forward_layer.cell.implementation)
    else:
        layer.set_weights(list(wf))
        cells = [layer.cell]
        impl = int(layer.cell.implementation)
    variables = []
    for cell in cells:
        variables += [cell.kernel, cell.recurrent_kernel, cell.bias]

    xt = tf.constant(x, dtype=tfdt)
    h0s = [h for h in (h0, h0b) if h is not None]
    ht = [tf.constant(h, dtype=tfdt) for h in h0s]
    kwargs = {"training": tr}
    if mask is not None:
        kwargs["mask"] = tf.constant(mask)
    if ht:
        kwargs["initial_state"] = list(ht)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        for h in ht:
            tape.watch(h)
        y = layer(xt, **kwargs)
        y = list(y) if isinstance(y, (list, tuple)) else [y]
        outs, states = y[:nout], y[nout:]
        assert len(states) == (ndir if rst else 0), (name, len(y))
        loss = tf.add_n([tf.reduce_sum(tf.constant(co) * o) for co, o in zip(couts, outs)] +
                        [tf.reduce_sum(tf.constant(cs) * s) for cs, s in zip(cstates, states)])
    srcs = [xt] + ht + variables
    grads = tape.gradient(loss, srcs)
    gnames = ["x"] + ["h0", "h0_b"][:len(ht)] + [
        n + sfx for sfx in ("", "_b")[:ndir] for n in ("kernel", "recurrent_kernel", "bias")]
    gv = []
    for n, s, gr in zip(gnames, srcs, grads):
        if gr is None:     # not connected to L: Keras' gradient is zero
            GSTATS.none_grads.append((name, n))
            gr = tf.zeros_like(s)
        gr = tf.convert_to_tensor(gr).numpy()
        assert gr.dtype == npdt and gr.shape == tuple(s.shape), (name, n, gr.dtype, gr.shape)
        gv.append(gr)
    gd = dict(zip(gnames, gv))

    # the masks this call drew (the cache holds exactly this call's)
    masks = []
    for cell in cells:
        mm = []
        for rate, cache, getter, arg in (
                (dp, cell._dropout_mask_cache, cell.get_dropout_mask_for_cell,
                 tf.zeros((B, F), dtype=tfdt)),
                (rdp, cell._recurrent_dropout_mask_cache,
                 cell.get_recurrent_dropout_mask_for_cell, tf.zeros((B, U), dtype=tfdt))):
            if rate == 0:
                mm.append(None)
                continue
            assert len(cache) == 1, (name, len(cache))
            got = getter(arg, training=True, count=3)
            m = np.stack([v.numpy() for v in got])
            assert m.dtype == npdt and m.shape == (3, B, arg.shape[1]), (name, m.shape)
            if not tr:
                assert np.all(m == 1), name
            mm.append(m)
        masks.append(mm)

    # self-check: directional finite difference of a numpy float64 model
    if dt == "f64":
        f = lambda a: None if a is None else np.asarray(a, dtype=np.float64)  # noqa: E731
        fm = [[f(m) for m in mm] for mm in masks]
        base = {"x": f(x_bm)}
        if h0 is not None:
            base["h0"] = f(h0)
        if h0b is not None:
            base["h0_b"] = f(h0b)
        for sfx, w in (("", wf), ("_b", wb)):
            if w is not None:
                for n, a in zip(("kernel", "recurrent_kernel", "bias"), w):
                    base[n + sfx] = f(a)
        drng = np.random.default_rng(H["case_seed"](name) ^ 0x5A5A5A5A)
        vdir = {k: drng.standard_normal(a.shape) for k, a in base.items()}

        def L_at(eps):
            p = {k: a + eps * vdir[k] for k, a in base.items()}
            ws = [(p["kernel"], p["recurrent_kernel"], p["bias"])]
            if bidir:
                ws.append((p["kernel_b"], p["recurrent_kernel_b"], p["bias_b"]))
            hs = [p.get("h0"), p.get("h0_b")]
            return _np_loss(c, p["x"], m_bm, hs, ws, dp, rdp, fm, impl,
                            [f(a) for a in couts], [f(a) for a in cstates])

        eps = 1e-6
        fd = (L_at(eps) - L_at(-eps)) / (2 * eps)
        an = 0.0
        for k, v in vdir.items():
            gk = gd[k]
            if k == "x" and tm:
                gk = gk.transpose(1, 0, 2)
            an += float(np.sum(gk * v))
        err = abs(fd - an) / max(abs(an), 1.0)
        GSTATS.fd_checked += 1
        if err > GSTATS.fd_worst:
            GSTATS.fd_worst, GSTATS.fd_case = err, name
        if not err <= 1e-6:
            H["errors"].append((name, "Keras gradient vs numpy finite difference: %.3g "
                                      "(directional derivative %.10g, fd %.10g)" % (err, an, fd)))

    # ---- the golden
    g = goldenio.Golden()
    zo_eff = rs if bidir else c["zero_output_for_mask"]
    for k, v in (("kind", "grad"),
                 ("wrapper", "bidirectional" if bidir else c["wrapper"]),
                 ("merge_mode", merge if bidir else None), ("dtype", dt), ("units", U),
                 ("input_dim", F), ("batch", B), ("steps", T), ("activation", "tanh"),
                 ("recurrent_activation", c["recurrent_activation"]), ("use_bias", True),
                 ("reset_after", c["reset_after"]), ("implementation", impl),
                 ("implementation_requested", c["implementation"]), ("dropout", dp),
                 ("recurrent_dropout", rdp), ("training", tr), ("go_backwards", c["go_backwards"]),
                 ("return_sequences", rs), ("return_state", rst), ("stateful", c["stateful"]),
                 ("time_major", tm), ("zero_output_for_mask", c["zero_output_for_mask"]),
                 ("zero_output_for_mask_effective", zo_eff), ("mask_kind", c["mask"]),
                 ("initial_state", c["initial_state"]), ("nchunks", 1), ("chunks", str(T)),
                 ("output_width", W), ("layer_case", lname.split("/", 1)[1])):
        g.add_meta(k, v)
    layer_cases.add_layer_inputs(g, dt, wf, wb, x, mask, h0, h0b)
    for d, mm in enumerate(masks):
        sfx = "_b" if d else ""
        if mm[0] is not None:
            g.add_array("dp_mask" + sfx, mm[0], dt)
        if mm[1] is not None:
            g.add_array("rdp_mask" + sfx, mm[1], dt)
    for d, o in enumerate(outs):
        g.add_array("out_b" if d else "out", o.numpy(), dt)
    for d, s in enumerate(states):
        g.add_array("state_b" if d else "state", s.numpy(), dt)
    for d, co in enumerate(couts):
        g.add_array("c_out_b" if d else "c_out", co, dt)
    for d, cs in enumerate(cstates):
        g.add_array("c_state_b" if d else "c_state", cs, dt)
    for n in gnames:
        g.add_array("d_" + n, gd[n], dt)
    return g


def print_grad_stats():
    print("grad: Keras gradient vs numpy float64 finite difference (one random direction, "
          "f64 cases): %d checked, worst %.3g (%s)" % (GSTATS.fd_checked, GSTATS.fd_worst,
                                                       GSTATS.fd_case))
    if GSTATS.none_grads:
        print("grad: gradients Keras returned as None (recorded as zeros): %s"
              % ", ".join("%s:%s" % nv for nv in GSTATS.none_grads))
