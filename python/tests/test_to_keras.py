"""libgru.to_keras: a libgru GRUCell / GRU / Bidirectional becomes the tf-keras layer
with the same config and weights; Keras' outputs on it equal libgru's, and
from_keras brings it back unchanged."""
import numpy as np
import pytest

import libgru

tf = pytest.importorskip("tensorflow")
K = tf.compat.v1.keras.layers

LAYER_CFGS = [
    dict(units=3),
    dict(units=4, reset_after=True, recurrent_activation="sigmoid", return_sequences=True,
         implementation=2),
    dict(units=2, activation="relu", use_bias=False, go_backwards=True, return_state=True),
    dict(units=3, time_major=True, return_sequences=True, zero_output_for_mask=True,
         kernel_regularizer="l2", recurrent_constraint="non_neg", dropout=0.25),
]


def _cmp(a, b, dt):
    tol = dict(rtol=1e-5, atol=1e-6) if dt == "float32" else dict(rtol=1e-12, atol=1e-13)
    a = a if isinstance(a, list) else [a]
    b = b if isinstance(b, (list, tuple)) else [b]
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, np.asarray(v), **tol)


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("i", range(len(LAYER_CFGS)))
def test_gru_to_keras(i, dt):
    cfg = LAYER_CFGS[i]
    rng = np.random.default_rng(i)
    g = libgru.GRU(dtype=dt, **cfg)
    x = rng.normal(size=(5, 2, 3) if cfg.get("time_major") else (2, 5, 3)).astype(dt)
    y = g(x)
    k = libgru.to_keras(g)
    assert type(k).__module__.endswith("gru_v1") and k.dtype == dt
    kc = k.get_config()
    for key, v in cfg.items():
        if key.endswith(("regularizer", "constraint")):
            assert kc[key] is not None
        else:
            assert kc[key] == v, key
    for a, b in zip(k.get_weights(), g.get_weights()):
        np.testing.assert_array_equal(a, b)
    _cmp(y, k(x), dt)
    mask = rng.random((5, 2) if cfg.get("time_major") else (2, 5)) < 0.7
    _cmp(g(x, mask=mask), k(x, mask=tf.constant(mask)), dt)
    back = libgru.from_keras(k)
    _cmp(back(x), k(x), dt)


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_cell_to_keras(dt):
    rng = np.random.default_rng(7)
    c = libgru.GRUCell(4, reset_after=True, activation="softsign", dtype=dt)
    x, h = rng.normal(size=(3, 2)).astype(dt), rng.normal(size=(3, 4)).astype(dt)
    y, _ = c(x, [h])
    k = libgru.to_keras(c)
    assert k.get_config()["activation"] == "softsign" and k.reset_after
    ky, _ = k(tf.constant(x), [tf.constant(h)])
    _cmp(y, ky, dt)


@pytest.mark.parametrize("merge", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_to_keras(merge):
    rng = np.random.default_rng(3)
    fwd = libgru.GRU(3, return_sequences=True)
    bwd = libgru.GRU(3, return_sequences=True, reset_after=True, go_backwards=True)
    b = libgru.Bidirectional(fwd, merge_mode=merge, backward_layer=bwd)
    x = rng.normal(size=(2, 6, 4)).astype("float32")
    y = b(x)
    k = libgru.to_keras(b)
    assert type(k).__name__ == "Bidirectional" and k.merge_mode == merge
    assert k.backward_layer.reset_after and not k.forward_layer.reset_after
    _cmp(y, k(x), "float32")
    mask = np.arange(6)[None, :] < np.array([[6], [3]])
    _cmp(b(x, mask=mask), k(x, mask=tf.constant(mask)), "float32")
    _cmp(libgru.from_keras(k)(x), y, "float32")


def test_stateful_to_keras():
    rng = np.random.default_rng(9)
    g = libgru.GRU(3, stateful=True, batch_size=2, return_sequences=True)
    x = rng.normal(size=(2, 4, 2)).astype("float32")
    g(x)                                   # carries a state into the next call
    k = libgru.to_keras(g)
    np.testing.assert_allclose(k.states[0].numpy(), g.states[0], rtol=1e-6)
    _cmp(g(x), k(x), "float32")
