"""libgru.set_num_threads: forward calls of GRU, Bidirectional and loaded models on a
thread pool give bitwise the one-thread results (np.array_equal)."""
import os
import threading

import numpy as np
import pytest

import libgru

F, U, T = 5, 24, 9
MODEL = os.path.join(os.path.dirname(__file__), "..", "..", "data", "models", "sunspots.grum")


@pytest.fixture(autouse=True)
def one_thread_after():
    yield
    libgru.set_num_threads(1)


def runs(f):
    """f() with 1, 2 and 3 threads; asserts every result equals the one-thread one."""
    outs = {}
    for n in (1, 2, 3):
        libgru.set_num_threads(n)
        assert libgru.get_num_threads() == n
        r = f()
        r = [np.array(a, copy=True) for a in (r if isinstance(r, (list, tuple)) else [r])]
        outs[n] = r
    for n in (2, 3):
        assert len(outs[n]) == len(outs[1])
        for a, b in zip(outs[n], outs[1]):
            assert a.dtype == b.dtype and np.array_equal(a, b), f"{n} threads differ"
    return outs[1]


def test_default_and_bad_values():
    assert libgru.get_num_threads() == 1
    for bad in (0, -1, 1025, 2.0, "2", None, True):
        with pytest.raises(ValueError):
            libgru.set_num_threads(bad)
    assert libgru.get_num_threads() == 1
    libgru.set_num_threads(np.int64(2))
    assert libgru.get_num_threads() == 2
    libgru.set_num_threads(2)                 # same value: keeps the pool
    assert libgru.get_num_threads() == 2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("B", [1, 37])
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru(dtype, B, reset_after):
    rng = np.random.default_rng(B)
    x = rng.normal(size=(B, T, F)).astype(dtype)
    mask = rng.random((B, T)) < 0.7
    mask[:, 0] = True
    g = libgru.GRU(U, return_sequences=True, return_state=True, reset_after=reset_after,
                   dtype=dtype)
    g.build((None, None, F))
    g2 = libgru.GRU(U, go_backwards=True, dtype=dtype)
    g2.build((None, None, F))
    runs(lambda: g(x))
    runs(lambda: g(x, mask=mask))
    runs(lambda: g2(x, mask=mask))
    h0 = rng.normal(size=(B, U)).astype(dtype)
    runs(lambda: g(x, initial_state=h0))


@pytest.mark.parametrize("merge", ["concat", "sum", None])
@pytest.mark.parametrize("B", [1, 37])
def test_bidirectional(merge, B):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(B, T, F)).astype("float32")
    mask = rng.random((B, T)) < 0.7
    b = libgru.Bidirectional(libgru.GRU(U, return_sequences=True), merge_mode=merge)
    b.build((None, None, F))
    runs(lambda: b(x))
    runs(lambda: b(x, mask=mask))


@pytest.mark.parametrize("B", [1, 37])
def test_loaded_model(B):
    m = libgru.load(MODEL)
    x = np.random.default_rng(3).normal(size=(B, 20, 1)).astype("float32")
    y = runs(lambda: m(x))
    assert y[0].shape == (B, 1)
    for h in m.layers():                      # views of the model's layers use the pool too
        if isinstance(h, libgru.GRU):
            xi = np.random.default_rng(4).normal(size=(B, 20, h.input_dim)).astype("float32")
            runs(lambda: h(xi))


def test_training_unchanged():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(8, T, F)).astype("float32")
    g = libgru.GRU(U, return_sequences=True)
    g.build((None, None, F))

    def f():
        out, tape = g.forward_train(x)
        gr = g.backward(tape, np.ones_like(out))
        return [out, gr["inputs"]] + list(gr["weights"])
    runs(f)


def test_concurrent_calls():
    """Python threads sharing the pool (and one GRU, one Bidirectional): a call that finds the
    pool busy runs on its own thread; every result is still the one-thread one, also while
    the thread count changes. One loaded model is shared too: the binding serialises the
    calls on one C handle (gru.h: a handle is used by one thread at a time)."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(16, T, F)).astype("float32")
    g = libgru.GRU(U, return_sequences=True)
    g.build((None, None, F))
    b = libgru.Bidirectional(libgru.GRU(U, return_sequences=True))
    b.build((None, None, F))
    xm = rng.normal(size=(16, 20, 1)).astype("float32")
    ref = (g(x), b(x), libgru.load(MODEL)(xm))
    libgru.set_num_threads(2)
    errors = []

    shared = libgru.load(MODEL)

    def work():
        try:
            m = libgru.load(MODEL)
            for _ in range(20):
                assert np.array_equal(shared(xm), ref[2])
                assert np.array_equal(g(x), ref[0])
                assert np.array_equal(b(x), ref[1])
                assert np.array_equal(m(xm), ref[2])
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for n in (3, 1, 2, 3):
        libgru.set_num_threads(n)
    for t in ts:
        t.join()
    assert not errors, errors
