"""The `train` golden family: 20 training steps of a Keras model
Sequential([tf.compat.v1.keras.layers.GRU(U), tf_keras.layers.Dense(D)])
with a GradientTape loop and a tf-keras 2.21 optimizer, from fixed initial
weights on fixed seeded batches (written by make_goldens.py; the contents are
described in FORMAT.md).

Each step, as Keras' own train_step does it:

    with tf.GradientTape() as tape:
        pred = model(x_t, training=True)
        loss = loss_fn(y_t, pred) + tf.add_n(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))

model.losses are the regularizer penalties (GRU kernel / recurrent kernel /
bias, Dense kernel / bias); tf-keras's optimizer applies every variable's
`constraint` right after the update (optimizer.py, apply_gradients: "Apply
variable constraints after applying gradients"). With dropout, the masks the
GRU cell drew in each step (read from its mask caches right after the forward
call, inside the tape) are recorded.

float64 cases run with Keras' floatx float64 (as a float64 Keras model would:
NonNeg casts its mask to floatx, the learning-rate variable is made in
floatx, and the regularizer factors are cast to floatx); recorded as meta
`floatx`. float32 cases use the default floatx float32.

Imported by make_goldens.py after it has set TF_USE_LEGACY_KERAS=1 and
imported TensorFlow.
"""

import hashlib
from collections import Counter

import numpy as np
import tensorflow as tf
import tf_keras
from tf_keras import backend as K
from tf_keras import constraints, regularizers

import goldenio

FAMILY = "train"
STEPS = 20
B, T, F, U = 4, 6, 3, 5

TRAIN_STATS = {"count": Counter(), "con_active": Counter(), "loss_drop": []}

_DT = {"f32": (np.float32, tf.float32, "float32"), "f64": (np.float64, tf.float64, "float64")}

# optimizer variants: (tag, kind, hyperparameters beyond Keras' defaults)
OPTS = [
    ("sgd-nest", "sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adam", "adam", {"learning_rate": 0.01}),
    ("adam-ams", "adam", {"learning_rate": 0.01, "amsgrad": True, "beta_2": 0.99}),
    ("rms-cen-mom", "rmsprop", {"learning_rate": 0.005, "centered": True, "momentum": 0.5}),
    ("adagrad", "adagrad", {"learning_rate": 0.1}),
]
KERAS_DEFAULTS = {
    "sgd": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
             "amsgrad": False},
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                "centered": False},
    "adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
}

# regularizers: (l1, l2) per weight; Keras' L1L2
REGS = {"kernel": (0.0, 0.01), "recurrent": (0.005, 0.0), "bias": (0.002, 0.003),
        "dense_kernel": (0.0, 0.02), "dense_bias": None}
# constraints: (name, kwargs) per weight
CONS = {"kernel": ("max_norm", {"max_value": 0.5, "axis": 0}),
        "recurrent": ("unit_norm", {"axis": 0}), "bias": None,
        "dense_kernel": None, "dense_bias": ("non_neg", {})}
WEIGHTS = ("kernel", "recurrent", "bias", "dense_kernel", "dense_bias")

# variants: (tag, regularizers, constraints, dropout, loss, D, extra layer kwargs)
VARIANTS = [
    ("plain", False, False, False, "mse", 1, {}),
    ("regcon", True, True, False, "mse", 2, {}),
    ("drop-regcon", True, True, True, "mse", 1, {}),
]
EXTRA = [  # (optimizer tag, variant)
    ("adam", ("reg", True, False, False, "mse", 1, {})),
    ("adagrad", ("con", False, True, False, "mse", 2, {})),
    ("adam", ("bce-logits", True, False, False, "bce", 1, {})),
    ("rms-cen-mom", ("cce-logits-drop", False, True, True, "cce", 3, {})),
    ("sgd-nest", ("ra-sig-drop", True, False, True, "mse", 2,
                  {"reset_after": True, "recurrent_activation": "sigmoid"})),
]


def _seed(name):
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "little") & 0x7FFFFFFF


def train_design():
    cases = []
    for dt in ("f32", "f64"):
        for otag, kind, hp in OPTS:
            vlist = list(VARIANTS) + [v for o, v in EXTRA if o == otag]
            for v in vlist:
                c = {"opt": otag, "kind": kind, "hp": hp, "variant": v[0], "reg": v[1],
                     "con": v[2], "drop": v[3], "loss": v[4], "D": v[5], "extra": v[6],
                     "dtype": dt}
                cases.append(("%s/%s_%s_%s" % (FAMILY, otag, v[0], dt), c))
    names = [n for n, _ in cases]
    assert len(set(names)) == len(names), "duplicate train case names"
    return cases


def train_subset_filter(cases):
    """Small set for tests/golden: every optimizer once with regularizers and
    constraints (dtypes alternating), dropout in both dtypes, one
    cross-entropy case."""
    keep = {"train/sgd-nest_regcon_f64", "train/adam_regcon_f32", "train/adam-ams_regcon_f64",
            "train/rms-cen-mom_regcon_f32", "train/adagrad_regcon_f64",
            "train/adam_drop-regcon_f32", "train/sgd-nest_ra-sig-drop_f64",
            "train/adam_bce-logits_f32"}
    out = [(n, c) for n, c in cases if n in keep]
    assert len(out) == len(keep), sorted(keep - {n for n, _ in out})
    return out


def _reg(spec):
    if spec is None:
        return None
    return regularizers.L1L2(l1=spec[0], l2=spec[1])


def _con(spec):
    if spec is None:
        return None
    name, kw = spec
    return {"max_norm": constraints.MaxNorm, "unit_norm": constraints.UnitNorm,
            "non_neg": constraints.NonNeg}[name](**kw)


def _reg_meta(spec):
    return None if spec is None else "l1l2:%r:%r" % (float(spec[0]), float(spec[1]))


def _con_meta(spec):
    if spec is None:
        return None
    name, kw = spec
    if name == "max_norm":
        return "max_norm:%r:%d" % (float(kw["max_value"]), kw["axis"])
    if name == "unit_norm":
        return "unit_norm:%d" % kw["axis"]
    return name


def make_train_case(name, c):
    floatx = "float64" if c["dtype"] == "f64" else "float32"
    K.set_floatx(floatx)
    try:
        return _make_train_case(name, c, floatx)
    finally:
        K.set_floatx("float32")


def _make_train_case(name, c, floatx):
    npdt, tfdt, dtname = _DT[c["dtype"]]
    rng = np.random.default_rng(_seed(name))
    D = c["D"]
    regs = {k: (REGS[k] if c["reg"] else None) for k in WEIGHTS}
    cons = {k: (CONS[k] if c["con"] else None) for k in WEIGHTS}
    rate = 0.2 if c["drop"] else 0.0
    lkw = dict(activation="tanh", recurrent_activation="hard_sigmoid", reset_after=False)
    lkw.update(c["extra"])

    gru = tf.compat.v1.keras.layers.GRU(
        U, return_sequences=False, unroll=True, dropout=rate, recurrent_dropout=rate,
        kernel_regularizer=_reg(regs["kernel"]), recurrent_regularizer=_reg(regs["recurrent"]),
        bias_regularizer=_reg(regs["bias"]), kernel_constraint=_con(cons["kernel"]),
        recurrent_constraint=_con(cons["recurrent"]), bias_constraint=_con(cons["bias"]),
        dtype=dtname, **lkw)
    assert type(gru).__module__ == "tf_keras.src.layers.rnn.gru_v1", type(gru).__module__
    dense = tf_keras.layers.Dense(
        D, kernel_regularizer=_reg(regs["dense_kernel"]),
        bias_regularizer=_reg(regs["dense_bias"]), kernel_constraint=_con(cons["dense_kernel"]),
        bias_constraint=_con(cons["dense_bias"]), dtype=dtname)
    model = tf_keras.Sequential([tf_keras.Input(shape=(T, F), dtype=dtname), gru, dense])
    cell = gru.cell

    # initial weights (constraints are not applied to them, as in Keras)
    nb = 6 * U if lkw["reset_after"] else 3 * U
    w0 = {"kernel": rng.uniform(-0.6, 0.6, (F, 3 * U)),
          "recurrent": rng.uniform(-0.6, 0.6, (U, 3 * U)),
          "bias": rng.uniform(-0.2, 0.2, (nb,)).reshape((2, 3 * U) if nb == 6 * U else (nb,)),
          "dense_kernel": rng.uniform(-0.7, 0.7, (U, D)),
          "dense_bias": rng.uniform(-0.1, 0.2, (D,))}
    w0 = {k: v.astype(npdt) for k, v in w0.items()}
    model.set_weights([w0[k] for k in WEIGHTS])
    tv = model.trainable_variables
    assert [v.name.split("/")[-1].split(":")[0] for v in tv] == [
        "kernel", "recurrent_kernel", "bias", "kernel", "bias"], [v.name for v in tv]
    for v in tv:
        assert v.dtype == tfdt, (name, v.name, v.dtype)
    for v, k in zip(tv, WEIGHTS):
        assert (v.constraint is None) == (cons[k] is None), (name, v.name)

    # batches
    xs = rng.uniform(-1.5, 1.5, (STEPS, B, T, F)).astype(npdt)
    if c["loss"] == "mse":
        ys = (rng.standard_normal((STEPS, B, D)) * 0.6).astype(npdt)
        loss_fn = tf_keras.losses.MeanSquaredError()
    elif c["loss"] == "bce":
        ys = rng.integers(0, 2, (STEPS, B, D)).astype(npdt)
        loss_fn = tf_keras.losses.BinaryCrossentropy(from_logits=True)
    else:
        ys = np.eye(D)[rng.integers(0, D, (STEPS, B))].astype(npdt)
        loss_fn = tf_keras.losses.CategoricalCrossentropy(from_logits=True)

    kind = c["kind"]
    hp = dict(KERAS_DEFAULTS[kind])
    hp.update(c["hp"])
    opt = {"sgd": tf_keras.optimizers.SGD, "adam": tf_keras.optimizers.Adam,
           "rmsprop": tf_keras.optimizers.RMSprop,
           "adagrad": tf_keras.optimizers.Adagrad}[kind](**hp)
    assert "legacy" not in type(opt).__module__, type(opt).__module__

    losses = np.zeros(STEPS)
    penalties = np.zeros(STEPS)
    dp = np.ones((STEPS, 3, B, F))
    rdp = np.ones((STEPS, 3, B, U))
    n_reg = sum(r is not None for r in regs.values())
    zero_f = tf.zeros((B, F), dtype=tfdt)
    zero_u = tf.zeros((B, U), dtype=tfdt)

    # One Keras training step, traced once (as model.fit runs train_step):
    # each call draws fresh dropout masks; the masks of the call are read
    # from the cell's caches right after the forward, inside the tape. The
    # GRU is unrolled (unroll=True, numerically the same cell steps) so that
    # its cell runs in this function's graph: with the while loop the masks
    # would be cached under the loop body's graph, out of reach here, and a
    # read from this graph would draw new ones.
    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            data_loss = loss_fn(y, pred)
            assert len(model.losses) == n_reg, (name, len(model.losses), n_reg)
            pen = tf.add_n(model.losses) if model.losses else tf.constant(0.0, dtype=tfdt)
            loss = data_loss + pen
            masks = []
            if rate:
                for cache, getter, arg in (
                        (cell._dropout_mask_cache, cell.get_dropout_mask_for_cell, zero_f),
                        (cell._recurrent_dropout_mask_cache,
                         cell.get_recurrent_dropout_mask_for_cell, zero_u)):
                    assert len(cache) == 1, (name, len(cache))
                    got = getter(arg, training=True, count=3)
                    assert len(got) == 3
                    masks.append(tf.stack(got))
        grads = tape.gradient(loss, tv)
        assert all(gr is not None for gr in grads), name
        opt.apply_gradients(zip(grads, tv))
        return loss, pen, masks

    for t in range(STEPS):
        loss, pen, masks = train_step(tf.constant(xs[t]), tf.constant(ys[t]))
        assert loss.dtype == tfdt, (name, loss.dtype)
        losses[t] = loss.numpy()
        penalties[t] = pen.numpy()
        if rate:
            dp[t] = masks[0].numpy()
            rdp[t] = masks[1].numpy()
        # how often the constraints bit (design check): a kernel column at
        # the max norm, a Dense bias entry clamped to 0
        if cons["kernel"] is not None:
            norms = np.sqrt(np.sum(np.square(tv[0].numpy().astype(np.float64)), axis=0))
            TRAIN_STATS["con_active"]["max_norm"] += int(np.any(np.abs(norms - 0.5) < 1e-5))
            TRAIN_STATS["con_active"]["non_neg"] += int(np.any(tv[4].numpy() == 0))
            TRAIN_STATS["con_active"]["steps"] += 1
    assert int(opt.iterations.numpy()) == STEPS
    assert not opt.jit_compile, "XLA-compiled optimizer step (a GPU is visible?)"
    assert opt.learning_rate.dtype.name == floatx, (name, opt.learning_rate.dtype)
    final = [v.numpy() for v in tv]
    for f in final:
        assert f.dtype == npdt and np.all(np.isfinite(f)), name
    if rate:
        # Keras' masks: 0 or 1/(1-rate), fresh every step
        assert np.all((dp == 0) | (dp > 1)) and np.all((rdp == 0) | (rdp > 1)), name
        assert not np.array_equal(dp[0], dp[1]), name
    TRAIN_STATS["count"][kind] += 1
    TRAIN_STATS["loss_drop"].append((name, losses[0], losses[-1]))

    g = goldenio.Golden()
    meta = [("kind", "train"), ("dtype", c["dtype"]), ("floatx", floatx), ("steps", STEPS),
            ("batch", B), ("timesteps", T), ("input_dim", F), ("units", U),
            ("units_out", D), ("loss", c["loss"]),
            ("from_logits", c["loss"] != "mse"),
            ("activation", lkw["activation"]),
            ("recurrent_activation", lkw["recurrent_activation"]),
            ("reset_after", lkw["reset_after"]), ("unroll", True), ("dropout", rate),
            ("recurrent_dropout", rate),
            ("optimizer", kind), ("learning_rate", hp["learning_rate"]),
            ("momentum", hp.get("momentum")), ("nesterov", hp.get("nesterov")),
            ("beta_1", hp.get("beta_1")), ("beta_2", hp.get("beta_2")),
            ("epsilon", hp.get("epsilon")), ("amsgrad", hp.get("amsgrad")),
            ("rho", hp.get("rho")), ("centered", hp.get("centered")),
            ("initial_accumulator_value", hp.get("initial_accumulator_value"))]
    for k, v in meta:
        g.add_meta(k, v)
    for k in WEIGHTS:
        g.add_meta("reg_" + k, _reg_meta(regs[k]))
    for k in WEIGHTS:
        g.add_meta("con_" + k, _con_meta(cons[k]))
    dt = c["dtype"]
    for k in WEIGHTS:
        g.add_array("w0_" + k, w0[k], dt)
    g.add_array("x", xs, dt)
    g.add_array("y", ys, dt)
    if rate:
        g.add_array("dp_mask", dp, dt)
        g.add_array("rdp_mask", rdp, dt)
    g.add_array("loss", losses, dt)
    g.add_array("penalty", penalties, dt)
    for k, f in zip(WEIGHTS, final):
        g.add_array("w_" + k, f, dt)
    return g


def all_cases(subset):
    cases = train_design()
    if subset:
        cases = train_subset_filter(cases)
    print("train design: %d cases%s" % (len(cases), " (subset)" if subset else ""))
    for name, c in cases:
        yield name, (lambda n=name, c=c: make_train_case(n, c))


def print_train_stats():
    if not TRAIN_STATS["loss_drop"]:
        return
    print("train: cases per optimizer: %s" % ", ".join(
        "%s %d" % kv for kv in sorted(TRAIN_STATS["count"].items())))
    ca = TRAIN_STATS["con_active"]
    print("train: after %d constrained steps, max_norm held a kernel column at the bound "
          "after %d, non_neg held a Dense bias entry at 0 after %d" % (
              ca["steps"], ca["max_norm"], ca["non_neg"]))
    worse = [n for n, a, b in TRAIN_STATS["loss_drop"] if not b < a]
    print("train: loss fell over the 20 steps in %d of %d cases%s" % (
        len(TRAIN_STATS["loss_drop"]) - len(worse), len(TRAIN_STATS["loss_drop"]),
        (" (not in: %s)" % ", ".join(worse)) if worse else ""))
