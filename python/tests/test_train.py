"""Training from Python against tf-keras 2.21: libgru.Sequential([GRU, Dense]).fit
(the C fit loop, gru_seq_model + gru_fit, with the C optimizers) against Keras'
Model.fit from the same initial weights with shuffle=False (per-epoch loss and
val_loss, final weights); Optimizer.apply_gradients against Keras' optimizer;
the progress bar; C errors as ValueError."""
import numpy as np
import pytest

import libgru

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

B, T, F, U, D, N = 4, 6, 3, 5, 3, 14

CASES = [
    ("Adam", dict(learning_rate=0.01, amsgrad=True), "mse", {}, {}),
    ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True, clipnorm=0.5),
     "categorical_crossentropy", dict(from_logits=True), dict(reset_after=True)),
    ("RMSprop", dict(learning_rate=0.005, centered=True, momentum=0.5, weight_decay=0.01),
     "sparse_categorical_crossentropy", dict(from_logits=True), dict(return_sequences=True)),
    ("Adagrad", dict(learning_rate=0.1, global_clipnorm=1.0, clipvalue=0.3), "mse", {},
     dict(kernel_regularizer="l2")),
    ("SGD", dict(learning_rate=0.1, clipvalue=0.05), "binary_crossentropy", {},
     dict(recurrent_activation="sigmoid")),
    ("Adam", dict(learning_rate=0.02, beta_1=0.8), "categorical_crossentropy",
     dict(label_smoothing=0.1), dict(implementation=2)),
]
KLOSS = {"mse": "MeanSquaredError", "binary_crossentropy": "BinaryCrossentropy",
         "categorical_crossentropy": "CategoricalCrossentropy",
         "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy"}


def _data(rng, loss, dt, seq):
    n = (N, T) if seq else (N,)
    if loss == "mse":
        y = rng.normal(size=n + (D,)) * 0.6
    elif loss == "binary_crossentropy":
        y = rng.integers(0, 2, n + (D,))
    elif loss == "categorical_crossentropy":
        y = np.eye(D)[rng.integers(0, D, n)]
    else:
        y = rng.integers(0, D, n)
    return rng.uniform(-1.5, 1.5, (N, T, F)).astype(dt), y.astype(dt)


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fit_matches_keras(case, dt):
    opt, okw, loss, lkw, gkw = CASES[case]
    fx = "float64" if dt == "float64" else "float32"
    tf_keras.backend.set_floatx(fx)
    libgru.set_floatx(fx)
    try:
        rng = np.random.default_rng(case)
        seq = gkw.get("return_sequences", False)
        nb = 6 * U if gkw.get("reset_after") else 3 * U
        w = [rng.uniform(-0.6, 0.6, (F, 3 * U)), rng.uniform(-0.6, 0.6, (U, 3 * U)),
             rng.uniform(-0.2, 0.2, nb).reshape((2, 3 * U) if nb == 6 * U else (nb,)),
             rng.uniform(-0.7, 0.7, (U, D)), rng.uniform(-0.1, 0.2, (D,))]
        w = [a.astype(dt) for a in w]
        # probabilities: Keras then takes the logits behind the sigmoid / softmax
        dact = {"binary_crossentropy": "sigmoid"}.get(loss)
        if loss == "categorical_crossentropy" and not lkw.get("from_logits"):
            dact = "softmax"
        km = tf_keras.Sequential([tf_keras.Input((T, F), dtype=dt),
                                  tf.compat.v1.keras.layers.GRU(U, dtype=dt, **gkw),
                                  tf_keras.layers.Dense(D, activation=dact, dtype=dt,
                                                        bias_regularizer="l1")])
        km.set_weights(w)
        x, y = _data(rng, loss, dt, seq)
        km.compile(optimizer=getattr(tf_keras.optimizers, opt)(**okw),
                   loss=getattr(tf_keras.losses, KLOSS[loss])(**lkw))
        kh = km.fit(x, y, batch_size=B, epochs=3, shuffle=False, verbose=0,
                    validation_data=(x[:5], y[:5]))
        m = libgru.Sequential([libgru.GRU(U, dtype=dt, **gkw),
                               libgru.Dense(D, activation=dact, dtype=dt, bias_regularizer="l1")])
        m.set_weights(w)
        m.compile(optimizer=getattr(libgru, opt)(**okw),
                  loss=getattr(libgru.losses, KLOSS[loss])(**lkw) if lkw else loss)
        h = m.fit(x, y, batch_size=B, epochs=3, shuffle=False, verbose=0,
                  validation_data=(x[:5], y[:5]))
        tol = dict(rtol=1e-5, atol=1e-5) if dt == "float32" else dict(rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(h.history["loss"], kh.history["loss"], **tol)
        np.testing.assert_allclose(h.history["val_loss"], kh.history["val_loss"], **tol)
        for a, b in zip(m.get_weights(), km.get_weights()):
            np.testing.assert_allclose(a, b, **tol)
        assert m.optimizer.iterations == km.optimizer.iterations.numpy() == 3 * 4
        np.testing.assert_allclose(m.predict(x), km.predict(x, verbose=0), **tol)
        np.testing.assert_allclose(m.evaluate(x, y, batch_size=B),
                                   km.evaluate(x, y, batch_size=B, verbose=0), **tol)
    finally:
        tf_keras.backend.set_floatx("float32")
        libgru.set_floatx("float32")


@pytest.mark.parametrize("opt,kw", [("SGD", dict(momentum=0.5, nesterov=True)),
                                    ("Adam", dict(amsgrad=True, weight_decay=0.1)),
                                    ("RMSprop", dict(centered=True, clipnorm=0.2)),
                                    ("Adagrad", dict(global_clipnorm=0.5))])
def test_apply_gradients_matches_keras(opt, kw):
    rng = np.random.default_rng(3)
    w0 = [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(4,)).astype("float32")]
    kv = [tf.Variable(a) for a in w0]
    ko = getattr(tf_keras.optimizers, opt)(learning_rate=0.05, **kw)
    mine = [a.copy() for a in w0]
    lo = getattr(libgru.optimizers, opt)(learning_rate=0.05, **kw)
    for _ in range(4):
        g = [rng.normal(size=a.shape).astype("float32") for a in w0]
        ko.apply_gradients(zip([tf.constant(a) for a in g], kv))
        lo.apply_gradients(zip(g, mine))
    for a, b in zip(mine, kv):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-6, atol=1e-7)
    assert lo.iterations == 4
    # a Keras optimizer object converts with its hyperparameters
    assert libgru.optimizers.get(ko).get_config()["learning_rate"] == pytest.approx(0.05)


def test_progress_bar_and_history(capfd):
    rng = np.random.default_rng(0)
    m = libgru.Sequential([libgru.GRU(3), libgru.Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    x, y = rng.normal(size=(10, 4, 2)).astype("float32"), rng.normal(size=(10, 1))
    h = m.fit(x, y, batch_size=4, epochs=2, validation_data=(x, y), verbose=1)
    out = capfd.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "3/3 [" in out
    assert "loss:" in out and "val_loss:" in out
    assert len(h.history["loss"]) == 2 and len(h.history["val_loss"]) == 2 and h.epoch == [0, 1]
    m.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert capfd.readouterr().out == ""


def test_train_errors():
    with pytest.raises(ValueError, match="momentum"):
        libgru.SGD(momentum=2.0)
    with pytest.raises(ValueError, match="clipnorm"):
        libgru.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="Sequential"):
        libgru.Sequential([libgru.Dense(1)])
    m = libgru.Sequential([libgru.GRU(2), libgru.Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        m.fit(np.zeros((2, 3, 1)), np.zeros((2, 1)))
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError):       # class index out of range: the C message
        m.fit(np.zeros((2, 3, 1), "float32"), np.full((2, 1), 5.0), verbose=0)


def test_layer_fit_with_c_optimizer():
    """libgru.fit on a Bidirectional layer (forward_train / backward / C optimizer) against a
    Keras GradientTape loop with the same SGD steps."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(8, 4, 2)).astype("float32")
    y = rng.normal(size=(8, 6)).astype("float32")
    kb = tf_keras.layers.Bidirectional(tf.compat.v1.keras.layers.GRU(3))
    kb.build((None, 4, 2))
    b = libgru.from_keras(kb)
    h = libgru.fit(b, x, y, epochs=2, batch_size=4, optimizer=libgru.SGD(0.1, momentum=0.5),
                   shuffle=False, verbose=0)
    ko = tf_keras.optimizers.SGD(0.1, momentum=0.5)
    losses = []
    for _ in range(2):
        tot = 0.0
        for i in range(0, 8, 4):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(kb(x[i:i + 4]) - y[i:i + 4]))
            ko.apply_gradients(zip(tape.gradient(loss, kb.trainable_weights),
                                   kb.trainable_weights))
            tot += float(loss) * 4
        losses.append(tot / 8)
    np.testing.assert_allclose(h["loss"], losses, rtol=1e-5)
    for a, c in zip(b.get_weights(), kb.get_weights()):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)
