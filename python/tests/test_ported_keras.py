"""Ports of tf-keras' tf_keras/layers/rnn/gru_v1_test.py and gru_test.py (mirror HEAD
dd0a7237) to libgru. Same test names, shapes, options and assertions; Keras models
(Sequential / Input / Masking / Embedding / compile / fit) are replaced by libgru
layers driven from numpy: Masking -> mask = any(x != 0, -1), Embedding(mask_zero) ->
a numpy table + mask = ids != 0, compile/fit/train_on_batch -> `_fit` below
(forward_train / backward, the loss and its gradient from tf-keras' own loss
functions, Keras' SGD / RMSprop / Adam update rules). Where a test compares
against Keras numerically the comparison is kept, with tf-keras
(TF_USE_LEGACY_KERAS=1). `keras.layers.GRU` (v2 defaults) is ported as
libgru.GRU(recurrent_activation="sigmoid", reset_after=True) (`GRU2` below).

gru_v1_test.py, GRUGraphRewriteTest -> class TestGRUV1GraphRewriteTest
  test_gru_feature_parity_v1_v2              ported: v1 layer (libgru) vs v2 Keras GRU on
                                             the same weights with a mask; the
                                             fit-then-compare half left out (CuDNN
                                             device training + rmsprop on a Keras Model)
  test_time_major_and_go_backward_v1_v2 x4   ported (libgru v1 vs Keras v2, same weights)
  test_explicit_device_with_go_backward_and_mask_v1   ported (no device: CPU library)
gru_test.py, GRUGraphRewriteTest -> class TestGRUGraphRewriteTest
  test_could_use_defun_backend x6            left out: CuDNN kernel eligibility
                                             (_could_use_gpu_kernel), no such thing here
  test_use_on_default_activation_with_gpu_kernel  left out: same (GPU kernel selection)
  test_keras_model_with_gru                  ported (fit 10 epochs rmsprop, evaluate, predict)
  test_dynamic_behavior_GRU                  ported (input_shape=(None, 4), train_on_batch)
  test_stacking_GRU                          ported (two stacked layers, CCE, SGD fit)
  test_from_config_GRU                       ported
  test_gru_v2_model_save_load x3             ported: weights saved to a file (.npz: libgru
                                             layers have no save_weights/HDF5 writer) and
                                             loaded into a rebuilt layer; + vs Keras
  test_gru_v2_output_on_multiple_kernel      left out: CPU vs GPU (CuDNN) kernel parity
  test_with_masking_layer_GRU                ported
  test_masking_with_stacking_GRU             ported
  test_return_sequences_GRU                  ported (layer_test: shapes, dtype, config
                                             round trip, weights, vs Keras numerically)
  test_float64_GRU                           ported (layer_test, float64)
  test_return_states_GRU                     ported (two outputs, CCE on both)
  test_dropout_GRU                           ported (layer_test)
  test_constraints_GRU                       ported: libgru has no variables, the
                                             constraint is checked on the cell's config
  test_implementation_mode_GRU x3            ported (layer_test)
  test_regularizers_GRU                      ported (3 weight losses, 4 after a call)
  test_statefulness_GRU                      ported (embedding table is fixed: only the
                                             GRU weights train)
  test_stateful_GRU_training                 ported (Dense + sparse CCE head run in TF)
  test_explicit_device_with_go_backward_and_mask  ported
  test_v1_session_behavior                   left out: TF1 graph/session + tf.data
  test_with_fully_masked_inputs              ported (+ fully masked row is zeros, vs Keras)
  test_deepcopy                              ported
  test_GRU_runtime / _with_mask / _with_cond left out: return_runtime reports the
                                             CuDNN/CPU backend Keras picked (graph rewrite)
gru_test.py, GRULayerGradientTapeTest -> class TestGRULayerGradientTapeTest
  test_in_tape                               ported (forward_train/backward; gradients
                                             checked against tf.GradientTape)
gru_test.py, GRULayerTest -> class TestGRULayerTest
  test_return_sequences_gru, test_float64_gru, test_dropout_gru,
  test_implementation_mode_gru x3, test_dynamic_behavior_gru,
  test_reset_after_gru, test_with_masking_layer_gru,
  test_statefulness_gru, test_get_initial_states      ported
  test_recurrent_dropout_with_implementation_restriction  ported
  test_dropout_variable_name                 left out: name of TF's random-generator
                                             state variable (no TF variables in libgru)
  test_cloned_weight_names                   left out: keras.models.clone_model and TF
                                             variable names (libgru weights are arrays)
gru_test.py, GRULayerGenericTest -> class TestGRULayerGenericTest
  test_constraints_gru, test_from_config_gru, test_deep_copy_gru,
  test_regularizers_gru                      ported
Graph mode (run_all_keras_modes' v1 graph variants) is not applicable: libgru runs eagerly.
"""
import copy
import os

import numpy as np
import pytest

import libgru

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("tf_keras")


class test_utils:  # noqa: N801  (tf_keras.testing_infra is not in the tf-keras wheel)
    @staticmethod
    def get_test_data(train_samples, test_samples, input_shape, num_classes,
                      random_seed=None):
        """tf_keras.testing_infra.test_utils.get_test_data, verbatim."""
        if random_seed is not None:
            np.random.seed(random_seed)
        num_sample = train_samples + test_samples
        templates = 2 * num_classes * np.random.random((num_classes,) + input_shape)
        y = np.random.randint(0, num_classes, size=(num_sample,))
        x = np.zeros((num_sample,) + input_shape, dtype=np.float32)
        for i in range(num_sample):
            x[i] = templates[y[i]] + np.random.normal(loc=0, scale=1.0, size=input_shape)
        return ((x[:train_samples], y[:train_samples]), (x[train_samples:], y[train_samples:]))


np_utils = keras.utils

GRU1 = libgru.GRU                                            # gru_v1.GRU


class GRU2(libgru.GRU):                                      # keras.layers.GRU's defaults
    def __init__(self, units, recurrent_activation="sigmoid", reset_after=True, **kw):
        super().__init__(units, recurrent_activation=recurrent_activation,
                         reset_after=reset_after, **kw)


KV1 = tf.compat.v1.keras.layers.GRU


def close(a, b, rtol=1e-6, atol=1e-6):                       # tf's assertAllClose defaults
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def masking(x):                                              # keras.layers.Masking()
    return np.any(np.asarray(x) != 0.0, axis=-1)


def keras_twin(layer, **extra):
    """The Keras layer with the libgru layer's config and weights."""
    cfg = {k: v for k, v in layer.get_config().items() if k not in ("name", "batch_input_shape")}
    cfg.update(extra)
    k = keras.layers.GRU.from_config(cfg)
    k.build((None, None, layer.input_dim))
    k.set_weights(layer.get_weights())
    return k


class _Opt:
    """Keras' update rules: SGD (GradientDescentOptimizer), RMSprop, Adam."""

    def __init__(self, name, lr=None):
        self.name = name
        self.lr = lr if lr is not None else {"sgd": 0.01, "rmsprop": 0.001, "adam": 0.001}[name]
        self.s, self.t = {}, 0

    def step(self, layer, grads):
        w = layer.get_weights()
        self.t += 1
        st = self.s.setdefault(id(layer), [[np.zeros_like(g) for g in grads] for _ in range(2)])
        for i, g in enumerate(grads):
            if self.name == "sgd":
                w[i] = w[i] - self.lr * g
            elif self.name == "rmsprop":
                st[0][i] = 0.9 * st[0][i] + 0.1 * g * g
                w[i] = w[i] - self.lr * g / (np.sqrt(st[0][i]) + 1e-7)
            else:
                st[0][i] += (g - st[0][i]) * 0.1
                st[1][i] += (g * g - st[1][i]) * 0.001
                a = self.lr * np.sqrt(1 - 0.999 ** self.t) / (1 - 0.9 ** self.t)
                w[i] = w[i] - st[0][i] * a / (np.sqrt(st[1][i]) + 1e-7)
        layer.set_weights(w)


def _loss_and_grads(loss, y, outs):
    """Keras' loss (sum over outputs of the batch mean) and d loss / d outputs."""
    outs = outs if isinstance(outs, list) else [outs]
    ys = y if isinstance(y, list) else [y]
    losses = loss if isinstance(loss, list) else [loss] * len(outs)
    ts = [tf.constant(o) for o in outs]
    with tf.GradientTape() as tape:
        tape.watch(ts)
        total = 0.0
        for t, yy, l in zip(ts, ys, losses):
            if l is not None:
                total += tf.reduce_mean(keras.losses.get(l)(tf.constant(yy, t.dtype), t))
    g = tape.gradient(total, ts)
    return float(total), [np.zeros_like(o) if gi is None else gi.numpy() for o, gi in zip(outs, g)]


def _forward(layers, x, mask=None, train=False):
    tapes, h = [], x
    for i, l in enumerate(layers):
        if train:
            h, t = l.forward_train(h, mask=mask, training=True)
            tapes.append(t)
        else:
            h = l(h, mask=mask)
        if not l.return_sequences:
            mask = None
    return h, tapes


def _fit(layers, x, y, loss, optimizer, epochs=1, batch_size=32, mask=None, lr=None):
    """model.compile(optimizer, loss); model.fit(x, y, ...) for a stack of libgru layers."""
    opt = optimizer if isinstance(optimizer, _Opt) else _Opt(optimizer, lr)
    hist = []
    for _ in range(epochs):
        tot = 0.0
        for b in range(0, len(x), batch_size):
            sl = slice(b, b + batch_size)
            ys = [yy[sl] for yy in y] if isinstance(y, list) else y[sl]
            m = None if mask is None else mask[sl]
            out, tapes = _forward(layers, x[sl], m, train=True)
            lv, d = _loss_and_grads(loss, ys, out)
            grads = []
            for l, t in zip(reversed(layers), reversed(tapes)):
                g = l.backward(t, d if l.return_state else d[0])
                grads.append((l, g["weights"]))
                d = [g["inputs"]]
            for l, g in grads:
                assert all(np.isfinite(a).all() for a in g)
                opt.step(l, g)
            tot += lv * len(x[sl])
        hist.append(tot / len(x))
    assert np.isfinite(hist).all()
    return {"loss": hist}


def layer_test(layer_cls, kwargs, input_shape, input_dtype="float32"):
    """test_utils.layer_test: build, call, check shape and dtype, config round trip, weights
    round trip, and (here) the same numbers as the Keras layer of that config."""
    x = (10 * np.random.random(input_shape)).astype(input_dtype)
    layer = layer_cls(**kwargs)
    y = layer(x)
    expected_dtype = kwargs.get("dtype", input_dtype)
    assert y.dtype == np.dtype(expected_dtype)
    U = kwargs["units"]
    B, T = input_shape[:2]
    assert y.shape == ((B, T, U) if kwargs.get("return_sequences") else (B, U))
    layer2 = layer_cls.from_config(layer.get_config())
    layer2.set_weights(layer.get_weights())
    assert layer2.get_config() == layer.get_config() | {"name": layer2.name}
    close(layer2(x), y)
    close(layer(x), y)                                  # inference is deterministic
    for a, b in zip(layer2.get_weights(), layer.get_weights()):
        close(a, b)
    ky = keras_twin(layer)(x, training=False).numpy()
    tol = dict(rtol=1e-9, atol=1e-11) if expected_dtype == "float64" else dict(rtol=1e-5, atol=1e-5)
    close(y, ky, **tol)
    if kwargs.get("dropout") or kwargs.get("recurrent_dropout"):
        yt = layer(x, training=True)
        assert yt.shape == y.shape and np.isfinite(yt).all()
    return y


class TestGRUV1GraphRewriteTest:
    def test_gru_feature_parity_v1_v2(self):
        input_shape, rnn_state_size, timestep, batch = 10, 8, 4, 20
        (x_train, y_train), _ = test_utils.get_test_data(
            train_samples=batch, test_samples=0, input_shape=(timestep, input_shape),
            num_classes=rnn_state_size, random_seed=87654321)
        y_train = np_utils.to_categorical(y_train, rnn_state_size)
        x_train[-2:, -1, :] = 0.0
        y_train[-2:] = 0
        x_train = x_train.astype("float32")
        gru_layer = GRU1(rnn_state_size, recurrent_activation="sigmoid", reset_after=True)
        y_1 = gru_layer(x_train, mask=masking(x_train))
        cudnn_layer = keras.layers.GRU(rnn_state_size, recurrent_activation="sigmoid",
                                       reset_after=True)
        cudnn_model = keras.Sequential([keras.layers.Masking(input_shape=(timestep, input_shape)),
                                        cudnn_layer])
        cudnn_model.set_weights(gru_layer.get_weights())
        y_3 = cudnn_model.predict(x_train, verbose=0)
        close(y_1, y_3, rtol=2e-5, atol=2e-5)

    @pytest.mark.parametrize("time_major,go_backwards", [(False, False), (True, False),
                                                         (False, True), (True, True)],
                             ids=["normal", "time_major", "go_backwards", "both"])
    def test_time_major_and_go_backward_v1_v2(self, time_major, go_backwards):
        input_shape, rnn_state_size, timestep, batch = 10, 8, 4, 100
        x_train = np.random.random((batch, timestep, input_shape)).astype("float32")
        kw = dict(recurrent_activation="sigmoid", time_major=time_major, return_sequences=True,
                  go_backwards=go_backwards, reset_after=True)
        layer = GRU1(rnn_state_size, **kw)
        xin = x_train.transpose(1, 0, 2) if time_major else x_train
        y_ref = layer(xin)
        if time_major:
            y_ref = y_ref.transpose(1, 0, 2)
        k = keras.layers.GRU(rnn_state_size, **kw)
        k.build((None, None, input_shape))
        k.set_weights(layer.get_weights())
        y = k(tf.constant(xin)).numpy()
        if time_major:
            y = y.transpose(1, 0, 2)
        close(y, y_ref, rtol=1e-5, atol=1e-5)

    def test_explicit_device_with_go_backward_and_mask_v1(self):
        _go_backward_and_mask(GRU1)


def _go_backward_and_mask(cls):
    batch_size, timestep, masksteps, units = 8, 7, 5, 4
    inputs = np.random.randn(batch_size, timestep, units).astype(np.float32)
    mask = np.ones((batch_size, timestep)).astype(bool)
    mask[:, masksteps:] = 0
    gru_layer = cls(units, return_sequences=True, go_backwards=True)
    outputs_masked = gru_layer(inputs, mask=mask)
    outputs_trimmed = gru_layer(inputs[:, :masksteps])
    close(outputs_masked[:, -masksteps:], outputs_trimmed)


def _statefulness(opt, lr, check_mix):
    num_samples, timesteps, embedding_dim, units = 2, 3, 4, 2
    table = np.random.uniform(-0.05, 0.05, (4, embedding_dim)).astype("float32")

    def embed(ids):                      # Embedding(4, 4, mask_zero=True)
        ids = np.asarray(ids, int)
        return table[ids], ids != 0

    layer = GRU2(units, return_sequences=False, stateful=True, weights=None,
                 batch_size=num_samples)

    def predict(ids):
        x, m = embed(ids)
        return layer(x, mask=m)

    ones = np.ones((num_samples, timesteps))
    out1 = predict(ones)
    assert out1.shape == (num_samples, units)
    x, m = embed(ones)
    _fit([layer], x, np.ones((num_samples, units), "float32"), "mse", opt, lr=lr, mask=m,
         batch_size=num_samples)
    out2 = predict(ones)
    assert out1.max() != out2.max()
    layer.reset_states()
    out3 = predict(ones)
    assert out2.max() != out3.max()
    layer.reset_states()                 # model.reset_states()
    out4 = predict(ones)
    close(out3, out4, atol=1e-5)
    out5 = predict(ones)
    assert out4.max() != out5.max()
    layer.reset_states()
    left = np.ones((num_samples, timesteps))
    left[0, :1] = 0
    left[1, :2] = 0
    out6 = predict(left)
    layer.reset_states()
    right = np.ones((num_samples, timesteps))
    right[0, -1:] = 0
    right[1, -2:] = 0
    out7 = predict(right)
    close(out7, out6, atol=1e-5)
    if check_mix:
        layer.reset_states()
        mix = np.ones((num_samples, timesteps))
        mix[0, 1] = 0
        mix[1, 0] = 0
        mix[1, 2] = 0
        out8 = predict(mix)
        close(out8, out7, atol=1e-5)


def _regularizers(layer_cls):
    embedding_dim = 4
    layer = layer_cls(5, return_sequences=False, weights=None, input_shape=(None, embedding_dim),
                      kernel_regularizer=keras.regularizers.l1(0.01),
                      recurrent_regularizer=keras.regularizers.l1(0.01),
                      bias_regularizer="l2", activity_regularizer="l1")
    layer.build((None, None, 2))
    assert len(layer.losses) == 3
    x = np.ones((2, 3, 2), "float32")
    y = layer(x)
    assert len(layer.losses) == 4
    k = keras_twin(layer)
    ky = k(tf.constant(x))
    close(y, ky.numpy(), rtol=1e-5, atol=1e-6)
    close(sorted(layer.losses), sorted(float(v) for v in k.losses), rtol=1e-5, atol=1e-7)


def _constraints(layer_cls):
    embedding_dim = 4
    k_constraint = keras.constraints.max_norm(0.01)
    r_constraint = keras.constraints.max_norm(0.01)
    b_constraint = keras.constraints.max_norm(0.01)
    layer = layer_cls(5, return_sequences=False, weights=None, input_shape=(None, embedding_dim),
                      kernel_constraint=k_constraint, recurrent_constraint=r_constraint,
                      bias_constraint=b_constraint)
    layer.build((None, None, embedding_dim))
    ser = lambda c: {"class_name": type(c).__name__, "config": c.get_config()}  # noqa: E731
    assert layer.cell.kernel_constraint == ser(k_constraint)
    assert layer.cell.recurrent_constraint == ser(r_constraint)
    assert layer.cell.bias_constraint == ser(b_constraint)
    cfg = layer.get_config()
    assert cfg["kernel_constraint"]["config"]["max_value"] == 0.01
    assert cfg["bias_constraint"]["class_name"] == "MaxNorm"


def _from_config(layer_cls):
    for stateful in (False, True):
        l1 = layer_cls(units=1, stateful=stateful)
        l2 = layer_cls.from_config(l1.get_config())
        assert l1.get_config() == l2.get_config()


def _masking_fit(optimizer, stack):
    inputs = np.random.random((2, 3, 4)).astype("float32")
    targets = np.abs(np.random.random((2, 3, 5)))
    targets /= targets.sum(axis=-1, keepdims=True)
    layers = ([GRU2(10, return_sequences=True, unroll=False)] if stack else []) + \
        [GRU2(5, return_sequences=True, unroll=False)]
    h = _fit(layers, inputs, targets, "categorical_crossentropy", optimizer, epochs=1,
             batch_size=2, mask=masking(inputs), lr=0.001 if optimizer == "sgd" else None)
    assert len(h["loss"]) == 1


class TestGRUGraphRewriteTest:
    input_shape, output_shape, rnn_state_size, timestep, batch, epoch = 10, 8, 8, 4, 100, 1

    def test_keras_model_with_gru(self):
        epoch = 10
        (x_train, y_train), _ = test_utils.get_test_data(
            train_samples=self.batch, test_samples=0,
            input_shape=(self.timestep, self.input_shape), num_classes=self.output_shape)
        y_train = np_utils.to_categorical(y_train, self.output_shape)
        x_train = x_train.astype("float32")
        layer = GRU2(self.rnn_state_size)
        h = _fit([layer], x_train, y_train, "mse", "rmsprop", epochs=epoch)
        assert h["loss"][-1] < h["loss"][0]
        ev, _ = _loss_and_grads("mse", y_train, layer(x_train))            # evaluate
        assert np.isfinite(ev)
        assert layer(x_train).shape == (self.batch, self.rnn_state_size)   # predict

    def test_dynamic_behavior_GRU(self):
        num_samples, timesteps, embedding_dim, units = 2, 3, 4, 2
        layer = GRU2(units, input_shape=(None, embedding_dim))
        x = np.random.random((num_samples, timesteps, embedding_dim)).astype("float32")
        y = np.random.random((num_samples, units)).astype("float32")
        _fit([layer], x, y, "mse", "sgd", lr=0.001)                         # train_on_batch

    def test_stacking_GRU(self):
        inputs = np.random.random((2, 3, 4)).astype("float32")
        targets = np.abs(np.random.random((2, 3, 5)))
        targets /= targets.sum(axis=-1, keepdims=True)
        layers = [GRU2(10, return_sequences=True, unroll=False),
                  GRU2(5, return_sequences=True, unroll=False)]
        _fit(layers, inputs, targets, "categorical_crossentropy", "sgd", epochs=1, batch_size=2)

    def test_from_config_GRU(self):
        _from_config(GRU2)

    @pytest.mark.parametrize("use_bias,bias_initializer", [(True, "zeros"), (False, "zeros"),
                                                           (True, "random_uniform")],
                             ids=["normal", "no_bias", "random_bias"])
    def test_gru_v2_model_save_load(self, use_bias, bias_initializer, tmp_path):
        h5_path = os.path.join(tmp_path, "test.npz")
        batch, timestep, input_dim, units = 10, 3, 5, 2
        x = np.random.random((batch, timestep, input_dim)).astype("float32")

        def build_model():
            layer = GRU2(units, use_bias=use_bias, bias_initializer=bias_initializer)
            layer.build((None, timestep, input_dim))
            return layer

        layer = build_model()
        y_ref = layer(x)
        np.savez(h5_path, *layer.get_weights())
        new_layer = build_model()
        with np.load(h5_path) as f:
            new_layer.set_weights([f[f"arr_{i}"] for i in range(len(f.files))])
        y = new_layer(x)
        close(y, y_ref)
        for a, b in zip(layer.get_weights(), new_layer.get_weights()):
            close(a, b)
        close(keras_twin(layer)(x).numpy(), y_ref, rtol=1e-5, atol=1e-5)

    def test_with_masking_layer_GRU(self):
        _masking_fit("sgd", stack=False)

    def test_masking_with_stacking_GRU(self):
        _masking_fit("sgd", stack=True)

    def test_return_sequences_GRU(self):
        layer_test(GRU2, {"units": 2, "return_sequences": True}, (2, 3, 4))

    def test_float64_GRU(self):
        layer_test(GRU2, {"units": 2, "return_sequences": True, "dtype": "float64"},
                   (2, 3, 4), input_dtype="float64")

    def test_return_states_GRU(self):
        x = np.random.random((2, 3, 4)).astype("float32")
        y = np.abs(np.random.random((2, 5)))
        s = np.abs(np.random.random((2, 5)))
        layer = GRU2(units=5, return_state=True)
        outputs, states = layer(x, mask=masking(x))
        close(outputs, states)
        _fit([layer], x, [y, s], "categorical_crossentropy", "sgd", epochs=1, batch_size=2,
             mask=masking(x), lr=0.001)

    def test_dropout_GRU(self):
        layer_test(GRU2, {"units": 2, "dropout": 0.1, "recurrent_dropout": 0.1}, (2, 3, 4))

    def test_constraints_GRU(self):
        _constraints(GRU2)

    @pytest.mark.parametrize("implementation_mode", [0, 1, 2])
    def test_implementation_mode_GRU(self, implementation_mode):
        layer_test(GRU2, {"units": 2, "implementation": implementation_mode}, (2, 3, 4))

    def test_regularizers_GRU(self):
        _regularizers(GRU2)

    def test_statefulness_GRU(self):
        _statefulness("sgd", 0.01, check_mix=True)

    def test_stateful_GRU_training(self):
        vocab_size, embedding_dim, batch_size, timestep, units = 20, 10, 8, 12, 5
        x = np.random.randint(0, vocab_size, size=(batch_size, timestep))
        y = np.random.randint(0, vocab_size, size=(batch_size, timestep))
        table = np.random.uniform(-0.05, 0.05, (vocab_size, embedding_dim)).astype("float32")
        layer = GRU2(units, return_sequences=True, stateful=True, batch_size=batch_size)
        dense = keras.layers.Dense(vocab_size)
        opt = _Opt("adam")
        out, tape = layer.forward_train(table[x], training=True)
        o = tf.constant(out)
        with tf.GradientTape() as t:
            t.watch(o)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                y, dense(o), from_logits=False))
        d = t.gradient(loss, o).numpy()
        w0 = layer.get_weights()
        opt.step(layer, layer.backward(tape, d)["weights"])
        assert np.isfinite(float(loss))
        assert not np.allclose(w0[0], layer.get_weights()[0])

    def test_explicit_device_with_go_backward_and_mask(self):
        _go_backward_and_mask(GRU2)

    def test_with_fully_masked_inputs(self):
        num_samples, timestep, embedding_dim, vocab_size, units = 8, 5, 4, 20, 2
        inputs = np.random.randint(0, vocab_size, size=(num_samples, timestep))
        inputs[0, :] = 0.0
        table = np.random.uniform(-0.05, 0.05, (vocab_size, embedding_dim)).astype("float32")
        layer = GRU2(units)
        y = layer(table[inputs], mask=inputs != 0)
        assert y.shape == (num_samples, units) and np.isfinite(y).all()
        close(y[0], 0.0)
        ky = keras_twin(layer)(tf.constant(table[inputs]), mask=tf.constant(inputs != 0))
        close(y, ky.numpy(), rtol=1e-5, atol=1e-6)

    def test_deepcopy(self):
        original_layer = GRU2(5)
        copied_layer = copy.deepcopy(original_layer)
        assert copied_layer.units == 5
        assert original_layer.get_config() == original_layer.get_config()
        inputs = np.random.normal(size=[32, 10, 8]).astype(np.float32)
        original_layer = GRU2(4)
        copied_layer = copy.deepcopy(original_layer)
        outputs = original_layer(inputs)
        copied_outputs = copied_layer(inputs)
        assert not np.allclose(outputs, copied_outputs)
        original_layer = GRU2(4)
        outputs = original_layer(inputs)
        copied_layer = copy.deepcopy(original_layer)
        copied_outputs = copied_layer(inputs)
        close(outputs, copied_outputs)


class TestGRULayerGradientTapeTest:
    def test_in_tape(self):
        time_steps, embedding_size, gru_unit_size = 10, 11, 12
        gru_layer = GRU2(gru_unit_size, return_sequences=True, return_state=True,
                         recurrent_activation="sigmoid", recurrent_initializer="glorot_uniform")
        x = np.random.uniform(size=[1, time_steps, embedding_size]).astype("float32")
        y = np.random.uniform(size=[1, gru_unit_size]).astype("float32")
        hidden_state = np.zeros([1, gru_unit_size], dtype=np.float32)
        (seq, state), tape = gru_layer.forward_train(x, initial_state=hidden_state)
        d_state = 2.0 * (state - y) / state.size          # d mean(square(state - y))
        g = gru_layer.backward(tape, [np.zeros_like(seq), d_state])
        k = keras_twin(gru_layer)
        with tf.GradientTape() as t:
            _, kstate = k(tf.constant(x), initial_state=tf.constant(hidden_state))
            loss = tf.reduce_mean(tf.square(kstate - y))
        kg = t.gradient(loss, k.trainable_weights)
        for a, b in zip(g["weights"], kg):
            close(a, b.numpy(), rtol=2e-4, atol=2e-6)


class TestGRULayerTest:
    def test_return_sequences_gru(self):
        layer_test(GRU2, {"units": 2, "return_sequences": True}, (2, 3, 4))

    def test_float64_gru(self):
        layer_test(GRU2, {"units": 2, "return_sequences": True, "dtype": "float64"},
                   (2, 3, 4), input_dtype="float64")

    def test_dynamic_behavior_gru(self):
        layer = GRU2(2, input_shape=(None, 4))
        x = np.random.random((2, 3, 4)).astype("float32")
        y = np.random.random((2, 2)).astype("float32")
        _fit([layer], x, y, "mse", "rmsprop")

    def test_dropout_gru(self):
        layer_test(GRU2, {"units": 2, "dropout": 0.1, "recurrent_dropout": 0.1}, (2, 3, 4))

    def test_recurrent_dropout_with_implementation_restriction(self):
        layer = GRU2(2, recurrent_dropout=0.1, implementation=2)
        assert layer.implementation == 1
        assert KV1(2, recurrent_dropout=0.1, implementation=2).implementation == 1

    @pytest.mark.parametrize("implementation_mode", [0, 1, 2])
    def test_implementation_mode_gru(self, implementation_mode):
        layer_test(GRU2, {"units": 2, "implementation": implementation_mode}, (2, 3, 4))

    def test_reset_after_gru(self):
        num_samples, timesteps, embedding_dim, units = 2, 3, 4, 2
        (x_train, y_train), _ = test_utils.get_test_data(
            train_samples=num_samples, test_samples=0,
            input_shape=(timesteps, embedding_dim), num_classes=units)
        y_train = np_utils.to_categorical(y_train, units)
        gru_layer = GRU2(units, reset_after=True)
        _fit([gru_layer], x_train.astype("float32"), y_train, "mse", "rmsprop")
        assert gru_layer(x_train.astype("float32")).shape == (num_samples, units)
        assert gru_layer.get_weights()[2].shape == (2, 3 * units)

    def test_with_masking_layer_gru(self):
        _masking_fit("rmsprop", stack=False)

    def test_statefulness_gru(self):
        _statefulness("sgd", 0.01, check_mix=False)

    def test_get_initial_states(self):
        batch_size = 4
        cell = libgru.GRUCell(20)
        initial_state = cell.get_initial_state(batch_size=batch_size, dtype=np.float32)
        _, state = cell(np.ones((batch_size, 20), dtype=np.float32), initial_state)
        assert state[0].shape == initial_state.shape


class TestGRULayerGenericTest:
    def test_constraints_gru(self):
        _constraints(GRU2)

    def test_from_config_gru(self):
        _from_config(GRU2)

    def test_deep_copy_gru(self):
        cell = libgru.GRUCell(5)
        copied_cell = copy.deepcopy(cell)
        assert copied_cell.units == 5
        assert cell.get_config() == copied_cell.get_config()

    def test_regularizers_gru(self):
        _regularizers(GRU2)
