"""The `optimizer` golden family: tf-keras 2.21's (new, non-legacy)
optimizers SGD, Adam, RMSprop and Adagrad, with clipnorm / clipvalue /
global_clipnorm, decoupled weight decay and variable constraints, driven
through real tf-keras with `opt.apply_gradients(zip(grads, vars))`.

Imported by make_goldens.py after it has set TF_USE_LEGACY_KERAS=1 and
imported TensorFlow; make_goldens calls init() with its shared helpers. The
golden contents are described in FORMAT.md.

Each case: 3 variables of shapes (4,9), (3,9), (9,) with seeded initial
values, then STEPS steps of seeded gradients whose scale varies from step to
step (log-uniform) so that the clipping options are active on some steps and
inactive on others (checked). A numpy emulation of TF's arithmetic (same op
order, same dtype, the hyperparameters reaching the variable's dtype the way
TF converts them) is a self-check: it must agree with Keras to the last bits
in float64 (the C library implements the same formulas).
"""

from collections import Counter, defaultdict

import numpy as np
import tensorflow as tf
import tf_keras
from tf_keras import constraints

import goldenio

_H = {}
STEPS = 20
SHAPES = [(4, 9), (3, 9), (9,)]

OPT_STATS = {"count": Counter(), "max_ref_err": defaultdict(float),
             "clip_active": Counter(), "clip_inactive": Counter()}


def init(dt, case_seed, errors):
    _H.update(DT=dt, case_seed=case_seed, errors=errors)


# ----------------------------------------------------------------------------
# design
# ----------------------------------------------------------------------------

# base variants: (tag, kind, hyperparameters beyond Keras' defaults)
BASES = [
    ("sgd", "sgd", {}),
    ("sgd-lr", "sgd", {"learning_rate": 0.05}),
    ("sgd-mom", "sgd", {"learning_rate": 0.02, "momentum": 0.9}),
    ("sgd-nest", "sgd", {"learning_rate": 0.02, "momentum": 0.8, "nesterov": True}),
    ("adam", "adam", {}),
    ("adam-lr", "adam", {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99,
                         "epsilon": 1e-3}),
    ("adam-ams", "adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("adam-aeps", "adam", {"learning_rate": 0.01, "epsilon": 0.1,
                           "adaptive_epsilon": True}),
    ("rms", "rmsprop", {}),
    ("rms-mom", "rmsprop", {"learning_rate": 0.01, "momentum": 0.5}),
    ("rms-cen", "rmsprop", {"learning_rate": 0.01, "centered": True, "rho": 0.8}),
    ("rms-cen-mom", "rmsprop", {"learning_rate": 0.005, "centered": True,
                                "momentum": 0.9, "epsilon": 1e-4}),
    ("adagrad", "adagrad", {}),
    ("adagrad-lr", "adagrad", {"learning_rate": 0.05, "initial_accumulator_value": 0.5,
                               "epsilon": 1e-3}),
]

CLIPS = {
    "none": {},
    "cn": {"clipnorm": 1.0},
    "cv": {"clipvalue": 0.5},
    "gcn": {"global_clipnorm": 2.0},
}
# extra combinations: Keras' precedence (clipnorm, then global_clipnorm, then
# clipvalue; the first one set wins and the others are ignored).
EXTRA_CLIPS = {
    "cn+cv": {"clipnorm": 1.0, "clipvalue": 0.5},
    "gcn+cv": {"global_clipnorm": 2.0, "clipvalue": 0.5},
}

# constraints per variable (Keras: applied after each update)
CONSTRAINT_SETS = {
    "con": [("max_norm", {"max_value": 0.6, "axis": 0}), None, ("non_neg", {})],
}

KERAS_DEFAULTS = {
    "sgd": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
             "amsgrad": False, "adaptive_epsilon": False},
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                "centered": False},
    "adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
}


def _case_name(base, clip, wd, con, dt):
    return "optimizer/%s_clip-%s_wd%d%s_%s" % (base, clip, wd, "_" + con if con else "", dt)


def optimizer_design():
    cases = []
    for bi, (tag, kind, hp) in enumerate(BASES):
        for ci, clip in enumerate(CLIPS):
            for dt in ("f32", "f64"):
                wd = (bi + ci) % 3 == 0  # weight decay on a third of the cases
                c = {"base": tag, "kind": kind, "hp": hp, "clip": clip,
                     "clipcfg": CLIPS[clip], "weight_decay": 0.004 if wd else None,
                     "constraints": None, "dtype": dt}
                cases.append((_case_name(tag, clip, wd, None, dt), c))
    for tag, kind, hp in (BASES[2], BASES[6], BASES[10]):
        for clip, clipcfg in EXTRA_CLIPS.items():
            for dt in ("f32", "f64"):
                c = {"base": tag, "kind": kind, "hp": hp, "clip": clip, "clipcfg": clipcfg,
                     "weight_decay": None, "constraints": None, "dtype": dt}
                cases.append((_case_name(tag, clip, False, None, dt), c))
    for tag, kind, hp in (BASES[3], BASES[5], BASES[11], BASES[13]):
        for dt in ("f32", "f64"):
            c = {"base": tag, "kind": kind, "hp": hp, "clip": "none", "clipcfg": {},
                 "weight_decay": 0.01, "constraints": "con", "dtype": dt}
            cases.append((_case_name(tag, "none", True, "con", dt), c))
    names = [n for n, _ in cases]
    assert len(set(names)) == len(names), "duplicate optimizer case names"
    return cases


def optimizer_subset_filter(cases):
    """Small set for tests/golden: every optimizer kind (its richest variant)
    in both dtypes without clipping, every clipping mode and the clipnorm +
    clipvalue precedence once, adaptive epsilon, and two constraint cases
    (one with floatx float64)."""
    keep_names = set()
    for base in ("sgd-nest", "adam-ams", "rms-cen-mom", "adagrad"):
        for dt in ("f32", "f64"):
            keep_names.update(n for n, c in cases if c["base"] == base and c["clip"] == "none"
                              and not c["constraints"] and c["dtype"] == dt)
    for n, c in cases:
        if c["base"] == "adam-lr" and c["clip"] in ("cn", "cv", "gcn") and c["dtype"] == "f64":
            keep_names.add(n)
        if c["base"] == "adam-lr" and c["clip"] == "gcn" and c["dtype"] == "f32":
            keep_names.add(n)
        if c["base"] == "adam-ams" and c["clip"] == "cn+cv":
            keep_names.add(n)
        if c["base"] == "adam-aeps" and c["clip"] == "none" and c["dtype"] == "f64":
            keep_names.add(n)
        if c["constraints"] and ((c["base"] == "sgd-nest" and c["dtype"] == "f64") or
                                 (c["base"] == "rms-cen-mom" and c["dtype"] == "f32")):
            keep_names.add(n)
    return [(n, c) for n, c in cases if n in keep_names]


# ----------------------------------------------------------------------------
# numpy emulation of TF's arithmetic (self-check)
# ----------------------------------------------------------------------------

def _via_f32(x, npdt):
    """A Python float that TF turns into a tensor through float32 (tf.cast of
    a Python float, the float32 learning-rate variable), then to npdt."""
    return npdt(np.float32(x))


def np_emulate(kind, hp, clipcfg, wd, cons, npdt, vars0, grads, floatx="float32"):
    """Return final variables and slots after len(grads) steps. floatx: the
    dtype of Keras' learning-rate variable (backend.floatx() at creation)."""
    d = npdt
    lr = _via_f32(hp["learning_rate"], d) if floatx == "float32" else d(hp["learning_rate"])
    one = d(1)
    w = [v.astype(d).copy() for v in vars0]
    slots = defaultdict(list)
    n = len(w)
    if kind == "sgd":
        slots["m"] = [np.zeros_like(x) for x in w]
    elif kind == "adam":
        slots["m"] = [np.zeros_like(x) for x in w]
        slots["v"] = [np.zeros_like(x) for x in w]
        if hp["amsgrad"]:
            slots["vhat"] = [np.zeros_like(x) for x in w]
    elif kind == "rmsprop":
        slots["velocity"] = [np.zeros_like(x) for x in w]
        if hp["momentum"] > 0:
            slots["momentum"] = [np.zeros_like(x) for x in w]
        if hp["centered"]:
            slots["average_gradient"] = [np.zeros_like(x) for x in w]
    else:
        slots["accumulator"] = [np.full_like(x, d(hp["initial_accumulator_value"]))
                                for x in w]
    cn, gcn, cv = (clipcfg.get(k) for k in ("clipnorm", "global_clipnorm", "clipvalue"))
    for it, gs in enumerate(grads):
        gs = [g.astype(d) for g in gs]
        if cn and cn > 0:
            out = []
            for g in gs:
                l2 = np.sum(g * g, dtype=d)
                l2n = np.sqrt(l2) if l2 > 0 else l2
                out.append((g * d(cn)) / np.maximum(l2n, d(cn)))
            gs = out
        elif gcn and gcn > 0:
            half = np.sum(np.array([np.sum(g * g, dtype=d) * d(0.5) for g in gs], dtype=d),
                          dtype=d)
            norm = np.sqrt(half * d(2.0))
            scale = d(gcn) * np.minimum(one / norm, one / d(gcn))
            scale = scale + (norm - norm)
            gs = [g * scale for g in gs]
        elif cv and cv > 0:
            gs = [np.maximum(np.minimum(g, d(cv)), d(-cv)) for g in gs]
        if wd is not None:
            wdc = _via_f32(wd, d)
            w = [x - x * wdc * lr for x in w]
        step = d(it + 1)
        for i in range(n):
            g, x = gs[i], w[i]
            if kind == "sgd":
                mom = _via_f32(hp["momentum"], d)
                m = slots["m"][i]
                m = -g * lr + m * mom
                slots["m"][i] = m
                x = x + (-g * lr + m * mom) if hp["nesterov"] else x + m
            elif kind == "adam":
                b1p = np.power(_via_f32(hp["beta_1"], d), step)
                b2p = np.power(_via_f32(hp["beta_2"], d), step)
                alpha = lr * np.sqrt(one - b2p) / (one - b1p)
                eps = d(hp["epsilon"])
                if hp["adaptive_epsilon"]:
                    eps = eps * np.sqrt(one - b2p)
                m = slots["m"][i]
                v = slots["v"][i]
                m = m + (g - m) * d(1 - hp["beta_1"])
                v = v + (g * g - v) * d(1 - hp["beta_2"])
                slots["m"][i], slots["v"][i] = m, v
                if hp["amsgrad"]:
                    vh = np.maximum(slots["vhat"][i], v)
                    slots["vhat"][i] = vh
                    v = vh
                x = x - (m * alpha) / (np.sqrt(v) + eps)
            elif kind == "rmsprop":
                rho = d(hp["rho"])
                vel = rho * slots["velocity"][i] + d(1 - hp["rho"]) * (g * g)
                slots["velocity"][i] = vel
                if hp["centered"]:
                    ag = rho * slots["average_gradient"][i] + d(1 - hp["rho"]) * g
                    slots["average_gradient"][i] = ag
                    den = vel - ag * ag + d(hp["epsilon"])
                else:
                    den = vel + d(hp["epsilon"])
                inc = lr * g * (one / np.sqrt(den))
                if hp["momentum"] > 0:
                    mo = d(hp["momentum"]) * slots["momentum"][i] + inc
                    slots["momentum"][i] = mo
                    x = x + (-mo)
                else:
                    x = x + (-inc)
            else:
                acc = slots["accumulator"][i] + g * g
                slots["accumulator"][i] = acc
                x = x - lr * g / np.sqrt(acc + d(hp["epsilon"]))
            w[i] = x
        if cons:
            for i, cs in enumerate(cons):
                if cs is None:
                    continue
                name, kw = cs
                if name == "max_norm":
                    norms = np.sqrt(np.sum(np.square(w[i]), axis=kw["axis"], keepdims=True))
                    desired = np.clip(norms, 0, kw["max_value"])
                    w[i] = w[i] * (desired / (d(1e-7) + norms))
                else:
                    w[i] = w[i] * (w[i] >= 0).astype(d)
    return w, slots


# ----------------------------------------------------------------------------
# one case
# ----------------------------------------------------------------------------

def _make_opt(kind, hp, clipcfg, wd):
    kw = dict(hp)
    kw.update(clipcfg)
    kw["weight_decay"] = wd
    cls = {"sgd": tf_keras.optimizers.SGD, "adam": tf_keras.optimizers.Adam,
           "rmsprop": tf_keras.optimizers.RMSprop,
           "adagrad": tf_keras.optimizers.Adagrad}[kind]
    opt = cls(**kw)
    assert type(opt).__module__.startswith("tf_keras.src.optimizers."), type(opt).__module__
    assert "legacy" not in type(opt).__module__, type(opt).__module__
    return opt


def _make_constraint(cs):
    if cs is None:
        return None
    name, kw = cs
    return constraints.MaxNorm(**kw) if name == "max_norm" else constraints.NonNeg()


def make_optimizer_case(name, c):
    # Keras' NonNeg casts its mask to floatx, so float64 variables with a
    # constraint need floatx float64 (as a float64 Keras model would have);
    # that also makes the learning-rate variable float64.
    floatx = "float64" if c["constraints"] and c["dtype"] == "f64" else "float32"
    from tf_keras import backend as K
    K.set_floatx(floatx)
    try:
        return _make_optimizer_case(name, c, floatx)
    finally:
        K.set_floatx("float32")


def _make_optimizer_case(name, c, floatx):
    DT = _H["DT"]
    npdt, tfdt, dtname = DT[c["dtype"]]
    rng = np.random.default_rng(_H["case_seed"](name))
    kind = c["kind"]
    hp = dict(KERAS_DEFAULTS[kind])
    hp.update(c["hp"])
    clipcfg = c["clipcfg"]
    wd = c["weight_decay"]
    cons = CONSTRAINT_SETS[c["constraints"]] if c["constraints"] else None

    vars0 = [rng.uniform(-0.5, 0.5, s).astype(npdt) for s in SHAPES]
    # per-step scale, log-uniform in [e^-4, e^1]: clipping on about half the steps
    scales = np.exp(rng.uniform(-4.0, 1.0, STEPS))
    grads = [[(rng.standard_normal(s) * scales[t]).astype(npdt) for s in SHAPES]
             for t in range(STEPS)]

    opt = _make_opt(kind, hp, clipcfg, wd)
    tvars = []
    for i, v in enumerate(vars0):
        con = _make_constraint(cons[i]) if cons else None
        tvars.append(tf.Variable(v, dtype=tfdt, name="v%d" % i, constraint=con))
    for t in range(STEPS):
        opt.apply_gradients(zip([tf.constant(g, dtype=tfdt) for g in grads[t]], tvars))
    final = [v.numpy() for v in tvars]
    for f in final:
        assert f.dtype == npdt, (name, f.dtype)
    assert int(opt.iterations.numpy()) == STEPS, name
    assert not opt.jit_compile, "XLA-compiled optimizer step (a GPU is visible?)"

    # optimizer slot variables "<Optimizer>/<slot>/v<i>:0", by slot and index
    slots = defaultdict(lambda: [None] * len(SHAPES))
    for ov in opt.variables:
        parts = ov.name.split(":")[0].split("/")
        if len(parts) != 3:
            assert parts[-1] == "iteration", ov.name
            continue
        slots[parts[1]][int(parts[2][1:])] = ov.numpy()

    # self-check: numpy emulation
    assert opt.learning_rate.dtype.name == floatx, (name, opt.learning_rate.dtype)
    ref, ref_slots = np_emulate(kind, hp, clipcfg, wd, cons, npdt, vars0, grads, floatx)
    err = max(float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))
                               / np.maximum(np.abs(b.astype(np.float64)), 1.0)))
              for a, b in zip(ref, final))
    OPT_STATS["max_ref_err"][(c["dtype"], kind)] = max(
        OPT_STATS["max_ref_err"][(c["dtype"], kind)], err)
    tol = 1e-5 if c["dtype"] == "f32" else 1e-13
    if not err <= tol:
        _H["errors"].append((name, "numpy emulation differs by %.3g" % err))

    # clipping activity (so the goldens exercise both sides of each clip)
    active = inactive = 0
    cn, gcn, cv = (clipcfg.get(k) for k in ("clipnorm", "global_clipnorm", "clipvalue"))
    for gs in grads:
        g64 = [g.astype(np.float64) for g in gs]
        if cn:
            on = any(np.sqrt(np.sum(g * g)) > cn for g in g64)
        elif gcn:
            on = np.sqrt(sum(np.sum(g * g) for g in g64)) > gcn
        elif cv:
            on = any(np.any(np.abs(g) > cv) for g in g64)
        else:
            continue
        active += on
        inactive += not on
    if cn or gcn or cv:
        OPT_STATS["clip_active"][c["clip"]] += active
        OPT_STATS["clip_inactive"][c["clip"]] += inactive
        if active == 0 or inactive == 0:
            _H["errors"].append((name, "clipping active on %d of %d steps" % (active, STEPS)))
    OPT_STATS["count"][kind] += 1

    g = goldenio.Golden()
    for k, v in (("kind", "optimizer"), ("optimizer", kind), ("dtype", c["dtype"]),
                 ("steps", STEPS), ("n_vars", len(SHAPES)),
                 ("learning_rate", hp["learning_rate"]),
                 ("momentum", hp.get("momentum")), ("nesterov", hp.get("nesterov")),
                 ("beta_1", hp.get("beta_1")), ("beta_2", hp.get("beta_2")),
                 ("epsilon", hp.get("epsilon")), ("amsgrad", hp.get("amsgrad")),
                 ("adaptive_epsilon", hp.get("adaptive_epsilon")),
                 ("rho", hp.get("rho")), ("centered", hp.get("centered")),
                 ("initial_accumulator_value", hp.get("initial_accumulator_value")),
                 ("clipnorm", clipcfg.get("clipnorm")),
                 ("clipvalue", clipcfg.get("clipvalue")),
                 ("global_clipnorm", clipcfg.get("global_clipnorm")),
                 ("weight_decay", wd), ("jit_compile", opt.jit_compile),
                 ("floatx", floatx),
                 ("iterations", int(opt.iterations.numpy()))):
        g.add_meta(k, v)
    for i in range(len(SHAPES)):
        cs = cons[i] if cons else None
        g.add_meta("constraint_%d" % i, cs[0] if cs else None)
        if cs and cs[0] == "max_norm":
            g.add_meta("constraint_%d_max_value" % i, cs[1]["max_value"])
            g.add_meta("constraint_%d_axis" % i, cs[1]["axis"])
    dt = c["dtype"]
    for i in range(len(SHAPES)):
        g.add_array("var%d_init" % i, vars0[i], dt)
    for i in range(len(SHAPES)):
        g.add_array("grads%d" % i, np.stack([grads[t][i] for t in range(STEPS)]), dt)
    for i in range(len(SHAPES)):
        g.add_array("var%d_final" % i, final[i], dt)
    for sname in sorted(slots):
        vals = slots[sname]
        assert all(a is not None for a in vals), (name, sname)
        for i, a in enumerate(vals):
            g.add_array("slot_%s_%d" % (sname, i), a, dt)
    return g


def report_optimizer_design(cases):
    print("optimizer design: %d cases (%s)" % (
        len(cases), ", ".join("%s %d" % (k, v) for k, v in sorted(
            Counter(c["kind"] for _, c in cases).items()))))


def print_optimizer_stats():
    for (dt, kind), e in sorted(OPT_STATS["max_ref_err"].items()):
        print("optimizer: max rel |keras - numpy emulation| %s %-8s %.3g" % (dt, kind, e))
    for k in sorted(OPT_STATS["clip_active"]):
        print("optimizer: clip %-7s active on %d steps, inactive on %d" % (
            k, OPT_STATS["clip_active"][k], OPT_STATS["clip_inactive"][k]))
