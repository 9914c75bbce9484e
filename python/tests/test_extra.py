"""libgru binding tests that are not ports of tf-keras tests (those are in
test_ported_keras.py): dropout-mask cache, Bidirectional merge modes, errors,
loading a native model and libgru.fit."""
import numpy as np
import pytest

import libgru

B, T, F, U = 2, 3, 5, 2


def x_(dt="float32"):
    return np.random.default_rng(0).normal(size=(B, T, F)).astype(dt)


def test_dropout_masks():
    c = libgru.GRUCell(U, dropout=0.5, recurrent_dropout=0.5)
    x = np.ones((B, F), "float32")
    m1 = c.get_dropout_mask_for_cell(x, True, count=3)
    assert len(m1) == 3 and set(np.unique(m1[0])) <= {0.0, 2.0}
    np.testing.assert_array_equal(c.get_dropout_mask_for_cell(x, True, count=3)[0], m1[0])
    c.reset_dropout_mask()
    assert c.get_recurrent_dropout_mask_for_cell(np.ones((B, U), "float32"), True, 3)[0].shape == (B, U)
    c.reset_recurrent_dropout_mask()
    assert libgru.GRUCell(U).get_dropout_mask_for_cell(x, True) is None


@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge(mode):
    b = libgru.Bidirectional(libgru.GRU(U, return_sequences=True), merge_mode=mode)
    y = b(x_())
    if mode is None:
        assert [a.shape for a in y] == [(B, T, U)] * 2
    else:
        assert y.shape == (B, T, 2 * U if mode == "concat" else U)


def test_errors():
    with pytest.raises(ValueError):
        libgru.GRU(0)
    with pytest.raises(ValueError, match="activation"):
        libgru.GRU(U, activation="nope")(x_())
    with pytest.raises(TypeError):
        libgru.GRU(U)(x_().astype(np.complex64))
    l = libgru.GRU(U)
    l(x_())
    with pytest.raises(ValueError):
        l(np.zeros((B, T, F + 1), "float32"))


def test_load_native_and_fit():
    import os
    p = os.path.join(os.path.dirname(__file__), "..", "..", "data", "models", "sunspots.grum")
    m = libgru.load(p)
    assert m(np.zeros((1, 20, 1), "float32")).shape == (1, 1)
    l = libgru.GRU(3)
    x = np.random.default_rng(0).normal(size=(16, 4, 2)).astype("float32")
    h = libgru.fit(l, x, np.zeros((16, 3), "float32"), epochs=3, batch_size=8, verbose=0)
    assert len(h["loss"]) == 3 and h["loss"][-1] < h["loss"][0]


@pytest.mark.parametrize("merge", ["concat", None])
def test_time_major_mask_vs_keras(merge):
    """time_major with a mask: Keras reads the mask as (timesteps, batch) (backend.rnn swaps
    the mask's axes only when not time_major); so does libgru. GRU and Bidirectional."""
    tf = pytest.importorskip("tensorflow")
    K = tf.compat.v1.keras.layers
    rng = np.random.default_rng(1)
    Bn, Tn = 3, 5                       # B != T: a (B, T) mask would not even fit
    x = rng.normal(size=(Tn, Bn, F)).astype("float64")
    mask = (np.arange(Tn)[:, None] < np.array([5, 2, 3])[None, :])    # (T, B)
    kg = K.GRU(U, time_major=True, return_sequences=True, return_state=True, dtype="float64")
    kg.build((None, None, F))
    g = libgru.from_keras(kg)
    ky, kh = kg(x, mask=tf.constant(mask))
    y, h = g(x, mask=mask)
    np.testing.assert_allclose(y, ky.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h, kh.numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="timesteps, batch"):
        g(x, mask=mask.T)
    kb = K.Bidirectional(K.GRU(U, time_major=True, return_sequences=True, dtype="float64"),
                         merge_mode=merge, dtype="float64")
    kb.build((None, None, F))
    b = libgru.from_keras(kb)
    ky = kb(x, mask=tf.constant(mask))
    y = b(x, mask=mask)
    for a, c in zip(y if merge is None else [y], ky if merge is None else [ky]):
        np.testing.assert_allclose(a, np.asarray(c), rtol=1e-12, atol=1e-12)
