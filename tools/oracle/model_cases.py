"""The `model` golden family: whole tf-keras 2.21 models (Sequential and
functional) built from the layers gru_model supports, run with
model(x, training=False).

Imported by make_goldens.py after TF_USE_LEGACY_KERAS=1 is set. Each case
writes a small description of the graph (one `n<i>`, `i<i>`, `c<i>` meta
per node, described in FORMAT.md), every node's weights (`w<i>`: Keras'
get_weights() flattened and concatenated), the inputs `x<k>` and the
outputs `y<k>`.
"""

import hashlib

import numpy as np
import tensorflow as tf
import tf_keras
from tf_keras import backend as K

import goldenio

L = tf_keras.layers
GRUv1 = tf.compat.v1.keras.layers.GRU


def _seed(name):
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little") & 0x7FFFFFFF


def _b(v):
    return "1" if v else "0"


def _act(a):
    name = tf_keras.activations.serialize(a) if not isinstance(a, str) else a
    if isinstance(name, dict):
        name = name.get("config", name.get("class_name"))
    return str(name)


def _gru_cfg(layer):
    c = layer.get_config()
    return ("u=%d,a=%s,r=%s,b=%s,A=%s,s=%s,S=%s,g=%s,z=%s,i=%d"
            % (c["units"], _act(c["activation"]), _act(c["recurrent_activation"]),
               _b(c["use_bias"]), _b(c["reset_after"]), _b(c["return_sequences"]),
               _b(c["return_state"]), _b(c["go_backwards"]),
               _b(getattr(layer, "zero_output_for_mask", False)), c.get("implementation", 1)))


def _shape_tok(dims):
    return "x".join("-1" if d is None else str(int(d)) for d in dims)


def describe(model):
    """[(kind, [(node, port)], cfg, extra)], layer list."""
    # the Input layers first, in model.inputs order (gru_model numbers its
    # inputs in node order), then the others in Keras' topological order
    ins = [t._keras_history[0] for t in model.inputs]
    layers = ins + [l for l in model.layers if l not in ins]
    index = {id(l): i for i, l in enumerate(layers)}
    out = []
    for l in layers:
        cls = type(l).__name__
        nodes = [n for n in l._inbound_nodes]
        node = nodes[0]
        refs = []
        if cls != "InputLayer":
            for kt in node.keras_inputs:
                hl, _, ti = kt._keras_history
                refs.append((index[id(hl)], ti))
        extra = {}
        if cls == "InputLayer":
            shp = l.get_config()["batch_input_shape"][1:]
            isint = "int" in str(l.get_config()["dtype"])
            kind, cfg = "input", "s=%s,int=%s" % (_shape_tok(shp), _b(isint))
        elif cls == "Masking":
            kind, cfg = "masking", "v=%r" % float(l.mask_value)
        elif cls == "Embedding":
            kind, cfg = "embedding", "v=%d,d=%d,z=%s" % (l.input_dim, l.output_dim,
                                                         _b(l.mask_zero))
        elif cls == "GRU":
            kind, cfg = "gru", _gru_cfg(l)
        elif cls == "Bidirectional":
            kind, cfg = "bidirectional", _gru_cfg(l.forward_layer)
            extra["b"] = _gru_cfg(l.backward_layer)
            extra["m"] = str(l.merge_mode).lower()
        elif cls == "Dense":
            c = l.get_config()
            kind, cfg = "dense", "u=%d,a=%s,b=%s" % (c["units"], _act(c["activation"]),
                                                    _b(c["use_bias"]))
        elif cls == "TimeDistributed":
            assert type(l.layer).__name__ == "Dense"
            c = l.layer.get_config()
            kind, cfg = "td_dense", "u=%d,a=%s,b=%s" % (c["units"], _act(c["activation"]),
                                                       _b(c["use_bias"]))
        elif cls in ("Dropout", "SpatialDropout1D"):
            kind, cfg = ("dropout" if cls == "Dropout" else "spatial_dropout1d"), "-"
        elif cls == "Activation":
            kind, cfg = "activation", "a=%s" % _act(l.get_config()["activation"])
        elif cls == "Concatenate":
            kind, cfg = "concatenate", "x=%d" % l.axis
        elif cls in ("Add", "Multiply"):
            kind, cfg = cls.lower(), "-"
        elif cls in ("GlobalAveragePooling1D", "GlobalMaxPooling1D"):
            kind = "gap1d" if cls.startswith("GlobalAverage") else "gmp1d"
            cfg = "k=%s" % _b(l.keepdims)
        elif cls == "Flatten":
            kind, cfg = "flatten", "-"
        elif cls == "Reshape":
            kind, cfg = "reshape", "s=%s" % _shape_tok(l.target_shape)
        elif cls == "RepeatVector":
            kind, cfg = "repeat_vector", "n=%d" % l.n
        else:
            raise ValueError("unsupported layer " + cls)
        assert len(cfg) < 64, cfg
        out.append((kind, refs, cfg, extra))
    return out, layers


# ----------------------------------------------------------------------------
# the models
# ----------------------------------------------------------------------------

def m_emb_gru_dense(T):
    return tf_keras.Sequential([L.InputLayer((T,), dtype="int32"),
                                L.Embedding(12, 5, mask_zero=True), L.GRU(6),
                                L.Dense(3, activation="softmax")])


def m_stack(T, n):
    layers = [L.InputLayer((T, 4)), L.Masking(0.0)]
    units = [6, 5, 4, 3][:n]
    for k, u in enumerate(units):
        last = k == n - 1
        if k == 1:
            layers.append(GRUv1(u, return_sequences=not last))   # v1 defaults
        else:
            layers.append(L.GRU(u, return_sequences=not last, reset_after=(k % 2 == 0)))
    layers.append(L.Dense(2))
    return tf_keras.Sequential(layers)


def m_bi_custom(T):
    x = L.Input((T, 5))
    h = L.Masking(0.0)(x)
    h = L.Bidirectional(L.GRU(6, return_sequences=True),
                        backward_layer=L.GRU(4, return_sequences=True, go_backwards=True,
                                             activation="relu", reset_after=False),
                        merge_mode="concat")(h)
    s = h
    h = L.TimeDistributed(L.Dense(3, activation="tanh"))(h)
    y = L.GlobalAveragePooling1D()(h)
    return tf_keras.Model(x, [y, s, h])


def m_bi_merge(T, mode):
    x = L.Input((T, 3))
    h = L.Masking(0.0)(x)
    bi = L.Bidirectional(L.GRU(4, return_sequences=True), merge_mode=mode)(h)
    if mode is None:
        h = L.Concatenate()(bi)
    else:
        h = bi
    h = L.GRU(3)(h)
    y = L.Dense(2)(h)
    return tf_keras.Model(x, y)


def m_two_inputs(T):
    a = L.Input((T, 3))
    b = L.Input((T, 2))
    ha = L.GRU(5, return_sequences=True)(a)
    hb = L.GRU(4, return_sequences=True)(L.Masking(0.0)(b))
    h = L.Concatenate()([ha, hb])
    y1 = L.Dense(2)(L.GRU(3)(h))
    y2 = L.GlobalMaxPooling1D()(h)
    return tf_keras.Model([a, b], [y1, y2])


def m_enc_dec(T):
    e = L.Input((T, 4))
    d = L.Input((T, 3))
    _, h = L.GRU(6, return_state=True)(L.Masking(0.0)(e))
    s = L.GRU(6, return_sequences=True)(d, initial_state=h)
    t = L.TimeDistributed(L.Dense(6))(s)
    u = L.Add()([s, t])
    v = L.Multiply()([u, L.Activation("sigmoid")(t)])
    y = L.Dense(3)(v)
    return tf_keras.Model([e, d], y)


def m_repeat(T):
    x = L.Input((T, 3))
    h = L.GRU(5)(x)
    h = L.RepeatVector(4)(h)
    h = L.GRU(5, return_sequences=True, go_backwards=True)(h)
    h = L.Dense(3)(h)
    h = L.Flatten()(h)
    h = L.Reshape((-1, 3))(h)
    y = L.Activation("tanh")(h)
    return tf_keras.Model(x, y)


def m_varlen(T):
    x = L.Input((None, 3))
    h = L.Masking(0.0)(x)
    h = L.GRU(4, return_sequences=True, go_backwards=True)(h)
    h = L.Dropout(0.3)(h)
    h = L.SpatialDropout1D(0.2)(h)
    h = L.GRU(3, return_sequences=True, reset_after=False, activation="softsign")(h)
    y = L.GlobalAveragePooling1D(keepdims=True)(h)
    return tf_keras.Model(x, [y, h])


def m_bi_state(T):
    x = L.Input((T, 3))
    y, hf, hb = L.Bidirectional(L.GRU(4, return_state=True), merge_mode="ave")(x)
    h = L.Concatenate()([y, hf, hb])
    z = L.Dense(2, activation="relu")(h)
    return tf_keras.Model(x, [z, hb])


def m_emb_add(T):
    ids = L.Input((T,), dtype="int32")
    f = L.Input((T, 4))
    e = L.Embedding(9, 4, mask_zero=True)(ids)
    m = L.Masking(0.0)(f)
    h = L.Add()([e, m])
    h = L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="sum")(h)
    y = L.GRU(2)(h)
    return tf_keras.Model([ids, f], y)


def m_concat_time(T):
    a = L.Input((T, 3))
    b = L.Input((T, 3))
    h = L.Concatenate(axis=1)([L.Masking(0.0)(a), L.Masking(0.0)(b)])
    y = L.GRU(4, return_sequences=True)(h)
    return tf_keras.Model([a, b], y)


# (name, builder, T, batch, dtypes)
CASES = [
    ("emb_gru_dense", m_emb_gru_dense, 6, 3, ("f32", "f64")),
    ("stack2", lambda T: m_stack(T, 2), 5, 2, ("f32",)),
    ("stack3", lambda T: m_stack(T, 3), 5, 3, ("f32", "f64")),
    ("stack4", lambda T: m_stack(T, 4), 7, 2, ("f32",)),
    ("bi_custom_backward", m_bi_custom, 6, 3, ("f32", "f64")),
    ("bi_merge_concat", lambda T: m_bi_merge(T, "concat"), 5, 2, ("f32",)),
    ("bi_merge_sum", lambda T: m_bi_merge(T, "sum"), 5, 2, ("f32",)),
    ("bi_merge_mul", lambda T: m_bi_merge(T, "mul"), 5, 2, ("f32",)),
    ("bi_merge_ave", lambda T: m_bi_merge(T, "ave"), 5, 2, ("f32",)),
    ("bi_merge_none", lambda T: m_bi_merge(T, None), 5, 2, ("f32", "f64")),
    ("two_inputs_concat", m_two_inputs, 6, 3, ("f32", "f64")),
    ("enc_dec_state", m_enc_dec, 5, 2, ("f32", "f64")),
    ("repeat_flatten_reshape", m_repeat, 4, 2, ("f32",)),
    ("varlen_dropout", m_varlen, 7, 3, ("f32", "f64")),
    ("bi_return_state", m_bi_state, 5, 2, ("f32",)),
    ("emb_masking_add", m_emb_add, 6, 3, ("f32",)),
    ("concat_time_axis", m_concat_time, 4, 2, ("f32",)),
]
SUBSET = {"emb_gru_dense_f32", "two_inputs_concat_f64", "bi_custom_backward_f32",
          "varlen_dropout_f32"}


def _inputs(rng, model, name, B, T, npdt):
    xs = []
    for k, t in enumerate(model.inputs):
        shp = [B] + [T if d is None else int(d) for d in t.shape[1:]]
        if "int" in t.dtype.name:
            ids = rng.integers(1, 9 if "emb_masking" in name else 12, size=shp)
            for b in range(B):  # trailing padding, and one interior zero
                n = rng.integers(0, shp[1] // 2 + 1)
                if n:
                    ids[b, shp[1] - n:] = 0
            ids[0, 1] = 0
            xs.append(ids.astype(np.int32))
        else:
            x = rng.uniform(-1.5, 1.5, size=shp).astype(npdt)
            if len(shp) == 3:  # mask some steps (Masking(0.0) makes them invalid)
                for b in range(B):
                    if b % 2 == 1:
                        x[b, -1 - (k % 2), :] = 0.0
                    if b == 0 and shp[1] > 3:
                        x[b, 2, :] = 0.0
            xs.append(x)
    return xs


def make_model_case(name, builder, T, B, dt):
    npdt = np.float32 if dt == "f32" else np.float64
    K.set_floatx("float32" if dt == "f32" else "float64")
    try:
        tf_keras.utils.set_random_seed(_seed(name))
        model = builder(T)
    finally:
        K.set_floatx("float32")
    rng = np.random.default_rng(_seed(name))
    for l in model.layers:
        ws = l.get_weights()
        if ws:
            l.set_weights([rng.uniform(-0.7, 0.7, size=w.shape).astype(w.dtype) for w in ws])
    xs = _inputs(rng, model, name, B, T, npdt)
    ys = model(xs if len(xs) > 1 else xs[0], training=False)
    if not isinstance(ys, (list, tuple)):
        ys = [ys]
    desc, layers = describe(model)
    g = goldenio.Golden()
    g.add_meta("kind", "model")
    g.add_meta("dtype", dt)
    g.add_meta("batch", B)
    g.add_meta("steps", T)
    g.add_meta("nnodes", len(desc))
    outs = []
    for t in model.outputs:
        hl, _, ti = t._keras_history
        outs.append("%d.%d" % (layers.index(hl), ti))
    g.add_meta("outputs", ",".join(outs))
    for i, (kind, refs, cfg, extra) in enumerate(desc):
        g.add_meta("n%d" % i, kind)
        g.add_meta("i%d" % i, ",".join("%d.%d" % r for r in refs) if refs else "-")
        g.add_meta("c%d" % i, cfg)
        for k, v in extra.items():
            g.add_meta("%s%d" % (k, i), v)
    for i, l in enumerate(layers):
        ws = l.get_weights()
        if ws:
            g.add_array("w%d" % i, np.concatenate([np.asarray(w).ravel() for w in ws]), dt)
    for k, x in enumerate(xs):
        g.add_array("x%d" % k, x, "f64" if "int" in x.dtype.name else dt)
    for k, y in enumerate(ys):
        y = np.asarray(y)
        assert y.dtype == npdt, (name, y.dtype)
        g.add_array("y%d" % k, y, dt)
    return g


def model_cases(subset):
    for cname, builder, T, B, dts in CASES:
        for dt in dts:
            name = "%s_%s" % (cname, dt)
            if subset and name not in SUBSET:
                continue
            yield "model/" + name, (lambda n=name, b=builder, t=T, bb=B, d=dt:
                                    make_model_case(n, b, t, bb, d))
