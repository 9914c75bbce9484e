"""The `loss` and `dense` golden families: tf_keras.losses (MeanSquaredError,
BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy)
and tf_keras.layers.Dense, values and gradients from tf.GradientTape.

loss: each case calls the Keras loss object on (y_true, y_pred[,
sample_weight]) and records the reduced loss, the per-row losses (the same
loss with reduction "none") and d loss / d y_pred (for reduction "none", of
the sum of the per-row losses). Probabilities include the clip edges (0, 1,
1e-7, float(1 - 1e-7)) and rows that do not sum to 1.

dense: Dense(units, activation, use_bias) with set weights, called on x
(rows, F) or (B, T, F); records y and, for L = sum(y * dy), dx, d_kernel and
d_bias.

Imported by make_goldens.py (after TF_USE_LEGACY_KERAS=1); see FORMAT.md.
"""

import hashlib

import numpy as np
import tensorflow as tf
import tf_keras

import goldenio

FAMILIES = ("loss", "dense")
LOSS_FAMILY, DENSE_FAMILY = FAMILIES

_DT = {"f32": (np.float32, tf.float32, "float32"), "f64": (np.float64, tf.float64, "float64")}
_CLASSES = {
    "mse": tf_keras.losses.MeanSquaredError,
    "bce": tf_keras.losses.BinaryCrossentropy,
    "cce": tf_keras.losses.CategoricalCrossentropy,
    "sparse_cce": tf_keras.losses.SparseCategoricalCrossentropy,
}
_RED = {"sum_over_batch_size": tf_keras.losses.Reduction.SUM_OVER_BATCH_SIZE,
        "sum": tf_keras.losses.Reduction.SUM,
        "none": tf_keras.losses.Reduction.NONE}
assert tf_keras.losses.MeanSquaredError.__module__.startswith("tf_keras"), "not tf-keras"


def _rng(name):
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little") & 0x7FFFFFFF
    return np.random.default_rng(seed)


def loss_design():
    """-> list of (name, config dict)."""
    out = []
    reds = ["sum_over_batch_size", "sum", "none"]
    i = 0
    for kind in ("mse", "bce", "cce", "sparse_cce"):
        for logits in ([False] if kind == "mse" else [False, True]):
            for ls in ([0.0, 0.2] if kind in ("bce", "cce") else [0.0]):
                for n in ([1, 4] if kind in ("mse", "bce") else [4]):
                    red = reds[i % 3]
                    sw = (i // 3) % 2 == 1
                    i += 1
                    for dt in ("f32", "f64"):
                        name = "%s/%s%s_ls%g_n%d_%s%s_%s" % (
                            LOSS_FAMILY, kind, "_logits" if logits else "", ls, n, red,
                            "_sw" if sw else "", dt)
                        out.append((name, dict(kind=kind, from_logits=logits, ls=ls, n=n,
                                               reduction=red, sw=sw, dtype=dt)))
    return out


def _probs(rng, rows, n, npdt, kind):
    eps = 1e-7
    hi = float(npdt(1.0) - npdt(eps))  # 1 - epsilon as Keras computes it in the dtype
    p = rng.uniform(0.02, 0.98, size=(rows, n))
    if kind == "cce":
        p = p / p.sum(axis=1, keepdims=True)
        p[1] *= 1.3             # a row that does not sum to 1
        p[2, 0] = 0.0           # a zero probability (clipped)
        p[3] = 0.0
        p[3, n - 1] = 1.0       # a certain row (1 - eps clip)
    elif kind == "sparse_cce":
        p = p / p.sum(axis=1, keepdims=True)
        p[1] *= 0.7             # sparse does not renormalise
        p[2, 0] = 0.0
        p[3] = 0.0
        p[3, n - 1] = 1.0
    else:
        edges = [0.0, 1.0, eps, hi, 0.5]
        flat = p.reshape(-1)
        for k, e in enumerate(edges[:flat.size]):
            flat[(3 * k + 1) % flat.size] = e
    return p.astype(npdt)


def make_loss_case(name, c):
    npdt, tfdt, _ = _DT[c["dtype"]]
    rng = _rng(name)
    rows, n, kind = 6, c["n"], c["kind"]
    if c["from_logits"]:
        y_pred = (rng.standard_normal((rows, n)) * 2.5).astype(npdt)
        y_pred[0, 0] = 0.0  # the kink of max(x, 0) in the logistic loss
    elif kind == "mse":
        y_pred = rng.standard_normal((rows, n)).astype(npdt)
    else:
        y_pred = _probs(rng, rows, n, npdt, kind)
    if kind == "sparse_cce":
        y_true = rng.integers(0, n, size=(rows,))
        y_true[3] = n - 1 if rows > 3 else y_true[3]
        y_true[2] = 0
        yt_keras = tf.constant(y_true.astype(np.int32))
    elif kind == "cce":
        y_true = np.eye(n)[rng.integers(0, n, size=(rows,))]
        y_true[2] = np.eye(n)[0]  # the class whose probability is 0
        yt_keras = tf.constant(y_true.astype(npdt))
    elif kind == "bce":
        y_true = rng.integers(0, 2, size=(rows, n)).astype(np.float64)
        y_true[-1, 0] = 0.25      # soft label
        yt_keras = tf.constant(y_true.astype(npdt))
    else:
        y_true = rng.standard_normal((rows, n))
        yt_keras = tf.constant(y_true.astype(npdt))
    sw = rng.uniform(0.2, 2.0, size=(rows,)).astype(npdt) if c["sw"] else None

    kw = {}
    if kind != "mse":
        kw["from_logits"] = c["from_logits"]
    if kind in ("bce", "cce"):
        kw["label_smoothing"] = c["ls"]
    obj = _CLASSES[kind](reduction=_RED[c["reduction"]], **kw)
    per_obj = _CLASSES[kind](reduction=_RED["none"], **kw)
    yp = tf.Variable(y_pred, dtype=tfdt)
    swt = None if sw is None else tf.constant(sw, dtype=tfdt)
    with tf.GradientTape() as tape:
        loss = obj(yt_keras, yp, sample_weight=swt)
        total = tf.reduce_sum(loss)
    grad = tape.gradient(total, yp).numpy()
    per_row = per_obj(yt_keras, yp, sample_weight=swt).numpy()
    loss = loss.numpy()
    assert loss.dtype == npdt and grad.dtype == npdt, (name, loss.dtype, grad.dtype)

    g = goldenio.Golden()
    g.add_meta("kind", "loss")
    g.add_meta("loss", kind)
    g.add_meta("from_logits", c["from_logits"])
    g.add_meta("label_smoothing", c["ls"])
    g.add_meta("reduction", c["reduction"])
    g.add_meta("sample_weight", c["sw"])
    g.add_meta("dtype", c["dtype"])
    g.add_meta("rows", rows)
    g.add_meta("n", n)
    g.add_array("y_true", y_true, c["dtype"])
    g.add_array("y_pred", y_pred, c["dtype"])
    if sw is not None:
        g.add_array("sample_weight", sw, c["dtype"])
    g.add_array("loss", loss, c["dtype"])
    g.add_array("per_row", per_row, c["dtype"])
    g.add_array("d_pred", grad, c["dtype"])
    return g


def dense_design():
    out = []
    shapes = [((5,), 3, 4), ((2,), 7, 1), ((2, 3), 3, 2)]  # (leading dims, F, units)
    acts = ["linear", "tanh", "sigmoid", "relu", "softmax"]
    i = 0
    for act in acts:
        for lead, F, U in shapes:
            for dt in ("f32", "f64"):
                use_bias = i % 3 != 2
                i += 1
                name = "%s/%s_x%s_F%d_U%d%s_%s" % (
                    DENSE_FAMILY, act, "x".join(map(str, lead)), F, U,
                    "" if use_bias else "_nobias", dt)
                out.append((name, dict(act=act, lead=lead, F=F, U=U, use_bias=use_bias,
                                       dtype=dt)))
    return out


def make_dense_case(name, c):
    npdt, tfdt, tfname = _DT[c["dtype"]]
    rng = _rng(name)
    F, U, lead = c["F"], c["U"], c["lead"]
    layer = tf_keras.layers.Dense(U, activation=c["act"], use_bias=c["use_bias"], dtype=tfname)
    layer.build((None,) * len(lead) + (F,))
    kernel = rng.uniform(-0.9, 0.9, size=(F, U)).astype(npdt)
    bias = rng.uniform(-0.5, 0.5, size=(U,)).astype(npdt)
    layer.set_weights([kernel, bias] if c["use_bias"] else [kernel])
    x = rng.standard_normal(lead + (F,)).astype(npdt)
    dy = rng.standard_normal(lead + (U,)).astype(npdt)
    xv = tf.constant(x, dtype=tfdt)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y = layer(xv)
        s = tf.reduce_sum(y * tf.constant(dy, dtype=tfdt))
    grads = tape.gradient(s, [xv] + layer.trainable_weights)
    g = goldenio.Golden()
    g.add_meta("kind", "dense")
    g.add_meta("activation", c["act"])
    g.add_meta("use_bias", c["use_bias"])
    g.add_meta("dtype", c["dtype"])
    g.add_meta("input_dim", F)
    g.add_meta("units", U)
    g.add_meta("rows", int(np.prod(lead)))
    g.add_array("kernel", kernel, c["dtype"])
    if c["use_bias"]:
        g.add_array("bias", bias, c["dtype"])
    g.add_array("x", x, c["dtype"])
    g.add_array("y", y.numpy(), c["dtype"])
    g.add_array("dy", dy, c["dtype"])
    g.add_array("dx", grads[0].numpy(), c["dtype"])
    g.add_array("d_kernel", grads[1].numpy(), c["dtype"])
    if c["use_bias"]:
        g.add_array("d_bias", grads[2].numpy(), c["dtype"])
    return g


def all_cases():
    """Yield (case-name, thunk) pairs of both families (all small: no subset)."""
    for name, c in loss_design():
        yield name, (lambda n=name, c=c: make_loss_case(n, c))
    for name, c in dense_design():
        yield name, (lambda n=name, c=c: make_dense_case(n, c))
