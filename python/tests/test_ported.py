"""Tests ported from tf-keras 2.21 layers/rnn/gru_v1_test.py and gru_test.py (the
ones about cell and layer behaviour), run against libgru. Ported:
test_return_sequences_GRU, test_float64_GRU, test_dynamic_behavior_GRU (shapes),
test_dropout_GRU (runs, training on/off), test_implementation_mode_GRU,
test_reset_after_GRU, test_constraints_GRU / test_regularizers_GRU (config + losses),
test_from_config_GRU, test_statefulness_GRU (state carried and reset),
test_get_initial_state, test_bidirectional merge modes (shape checks).
Left out: everything about Keras models/compile/fit (training via Keras'
optimizers), CuDNN/GPU kernel selection (gru_v2 runtime), SavedModel/graph-mode
tests, and unroll (no numeric effect)."""
import numpy as np
import pytest

import libgru

B, T, F, U = 2, 3, 5, 2


def x_(dt="float32"):
    return np.random.default_rng(0).normal(size=(B, T, F)).astype(dt)


def test_return_sequences_GRU():
    assert libgru.GRU(U, return_sequences=True)(x_()).shape == (B, T, U)


def test_float64_GRU():
    y = libgru.GRU(U, return_sequences=True, dtype="float64")(x_("float64"))
    assert y.dtype == np.float64 and y.shape == (B, T, U)


def test_dynamic_behavior_GRU():
    l = libgru.GRU(U)
    assert l(x_()).shape == (B, U)
    assert l(np.zeros((4, 7, F), "float32")).shape == (4, U)


def test_dropout_GRU():
    l = libgru.GRU(U, dropout=0.1, recurrent_dropout=0.1)
    a, b = l(x_(), training=False), l(x_(), training=True)
    assert a.shape == b.shape == (B, U)
    np.testing.assert_allclose(l(x_(), training=False), a)


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_implementation_mode_GRU(mode):
    l = libgru.GRU(U, implementation=mode)
    assert l(x_()).shape == (B, U)


def test_reset_after_GRU():
    l = libgru.GRU(U, reset_after=True)
    l(x_())
    assert l.get_weights()[2].shape == (2, 3 * U)


def test_regularizers_and_constraints_GRU():
    l = libgru.GRU(U, kernel_regularizer="l2", recurrent_regularizer="l2",
                   bias_regularizer="l2", kernel_constraint="max_norm",
                   recurrent_constraint="max_norm", bias_constraint="max_norm")
    l(x_())
    assert len(l.losses) == 3
    cfg = l.get_config()
    assert cfg["kernel_constraint"]["class_name"] == "MaxNorm"


@pytest.mark.parametrize("stateful", [False, True])
def test_from_config_GRU(stateful):
    l1 = libgru.GRU(U, stateful=stateful, batch_size=B if stateful else None)
    l1(x_())
    l2 = libgru.GRU.from_config(l1.get_config())
    assert l2.get_config()["units"] == U and l2.stateful == stateful


def test_statefulness_GRU():
    l = libgru.GRU(U, stateful=True, batch_size=B)
    x = x_()
    a = l(x)
    b = l(x)
    assert not np.allclose(a, b)
    l.reset_states()
    np.testing.assert_allclose(l(x), a, rtol=1e-6)
    l.reset_states()
    np.testing.assert_allclose(l.states[0], 0)


def test_get_initial_state():
    c = libgru.GRUCell(U)
    s = c.get_initial_state(batch_size=3, dtype="float32")
    assert s.shape == (3, U) and not s.any()
    assert libgru.GRU(U).get_initial_state(x_())[0].shape == (B, U)


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
