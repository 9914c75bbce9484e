"""Property-based comparison of libgru's Python binding with tf-keras 2.21
(tf.compat.v1.keras): GRUCell, GRU and Bidirectional, forward and gradients
(GradientTape). 80 + 80 + 60 = 220 hypothesis examples."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import libgru

tf = pytest.importorskip("tensorflow")
K = tf.compat.v1.keras.layers
SET = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def tol(dt):
    return dict(rtol=2e-4, atol=2e-5) if dt == "float32" else dict(rtol=1e-9, atol=1e-11)


cell_args = st.fixed_dictionaries(dict(
    units=st.integers(1, 6),
    activation=st.sampled_from(["tanh", "sigmoid", "relu", "linear", "softsign"]),
    recurrent_activation=st.sampled_from(["hard_sigmoid", "sigmoid"]),
    use_bias=st.booleans(), reset_after=st.booleans(), implementation=st.sampled_from([1, 2])))


def weights_for(rng, F, U, use_bias, reset_after, dt):
    w = [rng.uniform(-0.7, 0.7, (F, 3 * U)), rng.uniform(-0.7, 0.7, (U, 3 * U))]
    if use_bias:
        w.append(rng.uniform(-0.5, 0.5, (2, 3 * U) if reset_after else (3 * U,)))
    return [a.astype(dt) for a in w]


@settings(max_examples=80, **SET)
@given(args=cell_args, F=st.integers(1, 5), B=st.integers(1, 4),
       dt=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 2**31))
def test_cell_forward_and_gradients(args, F, B, dt, seed):
    rng = np.random.default_rng(seed)
    U = args["units"]
    kc = K.GRUCell(dtype=dt, **args)
    kc.build((None, F))
    w = weights_for(rng, F, U, args["use_bias"], args["reset_after"], dt)
    kc.set_weights(w)
    c = libgru.GRUCell(dtype=dt, **args)
    c.set_weights(w)
    x = rng.normal(size=(B, F)).astype(dt)
    h = rng.normal(size=(B, U)).astype(dt)
    dy = rng.normal(size=(B, U)).astype(dt)
    xt, ht = tf.constant(x), tf.constant(h)
    with tf.GradientTape() as tape:
        tape.watch([xt, ht])
        ky, _ = kc(xt, [ht])
        loss = tf.reduce_sum(ky * dy)
    kg = tape.gradient(loss, [xt, ht] + kc.trainable_weights)
    y, states = c(x, [h])
    np.testing.assert_allclose(y, ky.numpy(), **tol(dt))
    assert states[0] is y
    g = c.backward(x, [h], dy)
    np.testing.assert_allclose(g["inputs"], kg[0].numpy(), **tol(dt))
    np.testing.assert_allclose(g["states"][0], kg[1].numpy(), **tol(dt))
    for a, b in zip(g["weights"], kg[2:]):
        np.testing.assert_allclose(a, b.numpy(), **tol(dt))


layer_args = cell_args.flatmap(lambda c: st.fixed_dictionaries(dict(
    return_sequences=st.booleans(), go_backwards=st.booleans(), time_major=st.booleans(),
    zero_output_for_mask=st.booleans())).map(lambda l: {**c, **l}))


@settings(max_examples=80, **SET)
@given(args=layer_args, F=st.integers(1, 4), B=st.integers(1, 3), T=st.integers(1, 6),
       masked=st.booleans(), init=st.booleans(), dt=st.sampled_from(["float32", "float64"]),
       seed=st.integers(0, 2**31))
def test_layer_forward_and_gradients(args, F, B, T, masked, init, dt, seed):
    rng = np.random.default_rng(seed)
    U = args["units"]
    zero_out = args.pop("zero_output_for_mask")
    if not args["return_sequences"]:
        zero_out = False
    kl = K.GRU(dtype=dt, return_state=True, zero_output_for_mask=zero_out, **args)
    kl.build((None, None, F) if not args["time_major"] else (None, None, F))
    w = weights_for(rng, F, U, args["use_bias"], args["reset_after"], dt)
    kl.set_weights(w)
    l = libgru.GRU(dtype=dt, return_state=True, zero_output_for_mask=zero_out, **args)
    l.set_weights(w)
    x = rng.normal(size=(T, B, F) if args["time_major"] else (B, T, F)).astype(dt)
    mask = None
    if masked:
        lengths = rng.integers(1, T + 1, B)
        mask = np.arange(T)[None, :] < lengths[:, None]
        if args["time_major"]:   # tf-keras' backend.rnn reads a time-major layer's mask as (T, B)
            mask = np.ascontiguousarray(mask.T)
    h0 = rng.normal(size=(B, U)).astype(dt) if init else None
    out_shape = ((T, B, U) if args["time_major"] else (B, T, U)) if args["return_sequences"] else (B, U)
    dy = rng.normal(size=out_shape).astype(dt)
    ds = rng.normal(size=(B, U)).astype(dt)
    xt = tf.constant(x)
    h0t = tf.constant(h0) if init else None
    with tf.GradientTape() as tape:
        tape.watch(xt)
        if init:
            tape.watch(h0t)
        ky, kh = kl(xt, mask=None if mask is None else tf.constant(mask),
                    initial_state=[h0t] if init else None)
        loss = tf.reduce_sum(ky * dy) + tf.reduce_sum(kh * ds)
    srcs = [xt] + ([h0t] if init else []) + kl.trainable_weights
    kg = tape.gradient(loss, srcs)
    (y, h), tp = l.forward_train(x, mask=mask, initial_state=[h0] if init else None)
    np.testing.assert_allclose(y, ky.numpy(), **tol(dt))
    np.testing.assert_allclose(h, kh.numpy(), **tol(dt))
    y2, h2 = l(x, mask=mask, initial_state=[h0] if init else None)
    np.testing.assert_allclose(y2, y, **tol(dt))
    g = l.backward(tp, dy, ds)
    np.testing.assert_allclose(g["inputs"], kg[0].numpy(), **tol(dt))
    if init:
        np.testing.assert_allclose(g["initial_state"], kg[1].numpy(), **tol(dt))
    for a, b in zip(g["weights"], kg[1 + init:]):
        np.testing.assert_allclose(a, b.numpy(), **tol(dt))


@settings(max_examples=60, **SET)
@given(args=cell_args, F=st.integers(1, 4), B=st.integers(1, 3), T=st.integers(1, 5),
       merge=st.sampled_from(["concat", "sum", "mul", "ave"]), seq=st.booleans(),
       masked=st.booleans(), dt=st.sampled_from(["float32", "float64"]),
       seed=st.integers(0, 2**31))
def test_bidirectional_forward_and_gradients(args, F, B, T, merge, seq, masked, dt, seed):
    rng = np.random.default_rng(seed)
    U = args["units"]
    kb = K.Bidirectional(K.GRU(return_sequences=seq, dtype=dt, **args), merge_mode=merge,
                         dtype=dt)
    kb.build((None, None, F))
    w = (weights_for(rng, F, U, args["use_bias"], args["reset_after"], dt) +
         weights_for(rng, F, U, args["use_bias"], args["reset_after"], dt))
    kb.set_weights(w)
    b = libgru.Bidirectional(libgru.GRU(return_sequences=seq, dtype=dt, **args),
                             merge_mode=merge, dtype=dt)
    b.set_weights(w)
    x = rng.normal(size=(B, T, F)).astype(dt)
    mask = None
    if masked:
        lengths = rng.integers(1, T + 1, B)
        mask = np.arange(T)[None, :] < lengths[:, None]
    W = 2 * U if merge == "concat" else U
    dy = rng.normal(size=(B, T, W) if seq else (B, W)).astype(dt)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        ky = kb(xt, mask=None if mask is None else tf.constant(mask))
        loss = tf.reduce_sum(ky * dy)
    kg = tape.gradient(loss, [xt] + kb.trainable_weights)
    y, tp = b.forward_train(x, mask=mask)
    np.testing.assert_allclose(y, ky.numpy(), **tol(dt))
    g = b.backward(tp, dy)
    np.testing.assert_allclose(g["inputs"], kg[0].numpy(), **tol(dt))
    for a, c in zip(g["weights"], kg[1:]):
        np.testing.assert_allclose(a, c.numpy(), **tol(dt))
