"""Training from Python on the C library's optimizers, losses and fit loop.

    model = libgru.Sequential([libgru.GRU(16), libgru.Dense(1)])
    model.compile(optimizer=libgru.optimizers.Adam(learning_rate=0.01), loss="mse")
    hist = model.fit(x, y, batch_size=32, epochs=10, validation_data=(xv, yv))
    hist.history["loss"], hist.history["val_loss"]

Sequential([GRU, Dense]) is gru_seq_model driven by gru_fit (include/gru.h):
the mini-batch loop, forward, loss (with the regularizer penalties), backward,
the optimizer step (gru_optimizer_apply) and the constraints all run in C; the
progress bar is C's, written to the process' stdout. Optimizers are tf-keras
2.21's (non-legacy) SGD, Adam, RMSprop and Adagrad with Keras' argument names;
`Optimizer.apply_gradients(zip(grads, variables))` updates numpy arrays in
place with the same C code. `fit(layer, x, y, ...)` trains any libgru layer
(GRU, Bidirectional) on a loss of its output with that C optimizer step.
"""
import sys

import numpy as np

from . import _libgru

_F32, _F64 = 1, 2
_FLOATX = ["float32"]


def floatx():
    """Keras' backend.floatx(): the dtype of new optimizers' learning-rate variable and of
    regularizer factors (tf-keras rounds them through it)."""
    return _FLOATX[0]


def set_floatx(value):
    if value not in ("float32", "float64"):
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of "
                         "{'float32', 'float64'}")
    _FLOATX[0] = value


def _fx_code():
    return _F64 if _FLOATX[0] == "float64" else _F32


# ---------------------------------------------------------------- optimizers
class Optimizer:
    """A tf-keras 2.21 optimizer run by gru_optimizer_* (one C handle per variable list)."""
    _kind = None
    _defaults = {}

    def __init__(self, learning_rate=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 weight_decay=None, name=None, **kw):
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("At most one of `clipnorm` and `global_clipnorm` can be set. "
                             f"Received: clipnorm={clipnorm}, global_clipnorm={global_clipnorm}.")
        cfg = dict(self._defaults)
        for k, v in kw.items():
            if k not in cfg:
                raise TypeError(f"{type(self).__name__}: unexpected argument {k!r}")
            cfg[k] = v
        if learning_rate is not None:
            cfg["learning_rate"] = learning_rate
        cfg.update(clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                   weight_decay=weight_decay)
        self._config = cfg
        self.name = name or type(self).__name__
        self._lr_code = _fx_code()
        self._h = None
        self._key = None
        self._dry_check()

    def _dry_check(self):
        # validate the arguments in C now (as Keras raises at construction)
        _libgru.optimizer_create(self._kind, _F32, (1,), self._c_params(), self._lr_code)

    def _c_params(self):
        return {k: (0.0 if v is None else v) for k, v in self._config.items()}

    def get_config(self):
        return dict(self._config, name=self.name)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def learning_rate(self):
        return self._config["learning_rate"]

    @learning_rate.setter
    def learning_rate(self, v):
        self._config["learning_rate"] = float(v)
        if self._h is not None:
            _libgru.optimizer_set_lr(self._h, float(v))

    lr = learning_rate

    @property
    def iterations(self):
        return 0 if self._h is None else _libgru.optimizer_iterations(self._h)

    def _handle(self, code, sizes):
        key = (code, tuple(int(s) for s in sizes))
        if self._h is None:
            self._h = _libgru.optimizer_create(self._kind, code, key[1], self._c_params(),
                                               self._lr_code)
            self._key = key
        elif key != self._key:
            raise ValueError(f"{self.name} was built for variables {self._key[1]} "
                             f"({'float64' if self._key[0] == _F64 else 'float32'}); "
                             f"got {key[1]}: use one optimizer per model")
        return self._h

    def apply_gradients(self, grads_and_vars):
        """Keras' apply_gradients: updates each variable (a C-contiguous float32/float64
        numpy array) in place; returns the iteration count."""
        gv = list(grads_and_vars)
        grads = [np.asarray(g) for g, _ in gv]
        vars_ = [v for _, v in gv]
        for v in vars_:
            if not (isinstance(v, np.ndarray) and v.flags.c_contiguous and v.flags.writeable):
                raise TypeError("apply_gradients: variables must be writable C-contiguous "
                                "numpy arrays (updated in place)")
        code = _F64 if vars_[0].dtype == np.float64 else _F32
        dt = np.float64 if code == _F64 else np.float32
        h = self._handle(code, [v.size for v in vars_])
        return _libgru.optimizer_apply(h, code, vars_,
                                       [np.ascontiguousarray(g, dtype=dt) for g in grads])


class SGD(Optimizer):
    _kind = 0
    _defaults = dict(learning_rate=0.01, momentum=0.0, nesterov=False)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kw):
        super().__init__(learning_rate, momentum=momentum, nesterov=nesterov, **kw)


class Adam(Optimizer):
    _kind = 1
    _defaults = dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kw):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, **kw)


class RMSprop(Optimizer):
    _kind = 2
    _defaults = dict(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kw):
        super().__init__(learning_rate, rho=rho, momentum=momentum, epsilon=epsilon,
                         centered=centered, **kw)


class Adagrad(Optimizer):
    _kind = 3
    _defaults = dict(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kw):
        super().__init__(learning_rate, initial_accumulator_value=initial_accumulator_value,
                         epsilon=epsilon, **kw)


_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad}
_KERAS_OPT_KEYS = ("learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon",
                   "amsgrad", "rho", "centered", "initial_accumulator_value", "clipnorm",
                   "clipvalue", "global_clipnorm", "weight_decay")


def get_optimizer(identifier):
    """A libgru optimizer from a name ('adam'), a libgru optimizer, or a tf-keras optimizer
    object (its class and config: the same hyperparameters)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _OPTIMIZERS.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
        return cls()
    if hasattr(identifier, "get_config"):
        cls = _OPTIMIZERS.get(type(identifier).__name__.lower())
        if cls is None:
            raise ValueError(f"libgru has no {type(identifier).__name__} optimizer")
        cfg = identifier.get_config()
        kw = {k: cfg[k] for k in _KERAS_OPT_KEYS if k in cfg and k in
              (set(cls._defaults) | {"clipnorm", "clipvalue", "global_clipnorm", "weight_decay"})}
        if isinstance(kw.get("learning_rate"), dict):
            raise ValueError("learning-rate schedules are not supported")
        kw = {k: (float(v) if isinstance(v, (np.floating, np.integer)) else v) for k, v in kw.items()}
        return cls(**kw)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")


# ---------------------------------------------------------------- losses
class Loss:
    _kind = 0

    def __init__(self, from_logits=False, label_smoothing=0.0, name=None):
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.name = name or type(self).__name__

    def __call__(self, y_true, y_pred):
        """The reduced loss (sum over batch size), computed by gru_loss."""
        return _loss_call(self, y_true, y_pred)[0]

    def get_config(self):
        return dict(name=self.name, from_logits=self.from_logits,
                    label_smoothing=self.label_smoothing)


class MeanSquaredError(Loss):
    _kind = 0

    def __init__(self, name=None):
        super().__init__(False, 0.0, name)


class BinaryCrossentropy(Loss):
    _kind = 1


class CategoricalCrossentropy(Loss):
    _kind = 2


class SparseCategoricalCrossentropy(Loss):
    _kind = 3

    def __init__(self, from_logits=False, name=None):
        super().__init__(from_logits, 0.0, name)


_LOSSES = {"mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
           "meansquarederror": MeanSquaredError, "binary_crossentropy": BinaryCrossentropy,
           "binarycrossentropy": BinaryCrossentropy,
           "categorical_crossentropy": CategoricalCrossentropy,
           "categoricalcrossentropy": CategoricalCrossentropy,
           "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
           "sparsecategoricalcrossentropy": SparseCategoricalCrossentropy}


def get_loss(identifier):
    """A libgru loss from a Keras name, a libgru loss or a tf-keras loss object."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _LOSSES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Unknown loss function: {identifier!r}")
        return cls()
    if hasattr(identifier, "get_config"):
        cls = _LOSSES.get(type(identifier).__name__.lower())
        if cls is None:
            raise ValueError(f"libgru has no {type(identifier).__name__} loss")
        cfg = identifier.get_config()
        if cls is MeanSquaredError:
            return cls()
        if cls is SparseCategoricalCrossentropy:
            return cls(from_logits=cfg.get("from_logits", False))
        return cls(from_logits=cfg.get("from_logits", False),
                   label_smoothing=cfg.get("label_smoothing", 0.0))
    raise ValueError(f"Could not interpret loss identifier: {identifier}")


def _loss_call(loss, y_true, y_pred, want_grad=False):
    yp = np.asarray(y_pred)
    code = _F64 if yp.dtype == np.float64 else _F32
    dt = np.float64 if code == _F64 else np.float32
    yp = np.ascontiguousarray(yp, dtype=dt)
    n = yp.shape[-1] if yp.ndim > 1 else 1
    rows = yp.size // n
    yt = np.ascontiguousarray(y_true, dtype=dt)
    d = np.empty_like(yp) if want_grad else None
    v = _libgru.loss(loss._kind, loss.from_logits, loss.label_smoothing, code, rows, n, yt, yp, d)
    return v, d


# ---------------------------------------------------------------- Dense, Sequential
class Dense:
    """tf_keras.layers.Dense (the head of a Sequential([GRU, Dense])), in C (gru_dense)."""
    _counter = [0]

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, name=None, dtype=None, **kwargs):
        if int(units) <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        self.units = int(units)
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        n = Dense._counter[0]
        Dense._counter[0] += 1
        self.name = name or ("dense" if n == 0 else f"dense_{n}")
        self._code = None if dtype is None else (_F64 if np.dtype(dtype) == np.float64 else _F32)
        self._h = None
        self.input_dim = None

    @staticmethod
    def _reg(r):
        if r is None:
            return None
        if isinstance(r, str):
            k = r.lower().replace("_", "")
            return {"l1": (0.01, 0.0), "l2": (0.0, 0.01), "l1l2": (0.01, 0.01)}[k]
        if hasattr(r, "get_config"):
            c = r.get_config()
            return (float(c.get("l1", 0.0)), float(c.get("l2", 0.0)))
        if isinstance(r, (tuple, list)):
            return (float(r[0]), float(r[1]))
        raise ValueError(f"cannot use {r!r} as a regularizer (l1 / l2 / l1_l2 only)")

    @staticmethod
    def _con(c):
        if c is None or isinstance(c, str):
            return c
        raise ValueError("Dense constraints: by name only ('non_neg', 'unit_norm', ...)")

    @staticmethod
    def _init(i):
        if isinstance(i, str):
            return i
        if hasattr(i, "get_config"):
            return type(i).__name__
        raise ValueError(f"cannot use {i!r} as an initializer")

    def _act_name(self):
        act = self.activation if isinstance(self.activation, str) or self.activation is None \
            else getattr(self.activation, "__name__", None)
        return act or "linear"

    def _create(self, act):
        from . import _seed
        return _libgru.dense_create(self.units, self.input_dim, self._code, act,
                                       self.use_bias, self._init(self.kernel_initializer),
                                       self._init(self.bias_initializer), _seed()[0],
                                       self._reg(self.kernel_regularizer),
                                       self._reg(self.bias_regularizer),
                                       self._con(self.kernel_constraint),
                                       self._con(self.bias_constraint), _fx_code())

    def build(self, input_shape):
        self.input_dim = int(input_shape[-1])
        self._code = self._code or _F32
        self._h = self._create(self._act_name())

    def _logits_twin(self):
        """A linear twin (same weights, regularizers, constraints) for Keras' rule below."""
        h = self._create("linear")
        w = self.get_weights()
        _libgru.dense_weights(h, self._code, w[0], w[1] if len(w) > 1 else None, True)
        return h

    def _twin_back(self, h):
        w = self.get_weights()
        _libgru.dense_weights(h, self._code, w[0], w[1] if len(w) > 1 else None, False)
        self.set_weights(w)

    @property
    def built(self):
        return self._h is not None

    def __call__(self, x):
        x = np.asarray(x)
        if self._code is None:
            self._code = _F64 if x.dtype == np.float64 else _F32
        if self._h is None:
            self.build(x.shape)
        dt = np.float64 if self._code == _F64 else np.float32
        x = np.ascontiguousarray(x, dtype=dt)
        y = np.empty(x.shape[:-1] + (self.units,), dt)
        _libgru.dense_forward(self._h, self._code, x.size // self.input_dim, x, y)
        return y

    def get_weights(self):
        if self._h is None:
            return []
        dt = np.float64 if self._code == _F64 else np.float32
        k = np.empty((self.input_dim, self.units), dt)
        b = np.empty((self.units,), dt) if self.use_bias else None
        _libgru.dense_weights(self._h, self._code, k, b, False)
        return [k] if b is None else [k, b]

    def set_weights(self, weights):
        weights = list(weights)
        if self._h is None:
            self.build(np.shape(weights[0]))
        dt = np.float64 if self._code == _F64 else np.float32
        if len(weights) != (2 if self.use_bias else 1):
            raise ValueError(f"Dense {self.name}: expected {2 if self.use_bias else 1} weights, "
                             f"got {len(weights)}")
        k = np.ascontiguousarray(weights[0], dtype=dt)
        if k.shape != (self.input_dim, self.units):
            raise ValueError(f"Dense {self.name}: kernel shape {(self.input_dim, self.units)} "
                             f"is not compatible with provided weight shape {k.shape}")
        b = np.ascontiguousarray(weights[1], dtype=dt) if self.use_bias else None
        _libgru.dense_weights(self._h, self._code, k, b, True)

    def get_config(self):
        return dict(name=self.name, units=self.units, activation=self.activation or "linear",
                    use_bias=self.use_bias)


class History:
    """Keras' History: .history {'loss': [...], 'val_loss': [...]}, .epoch, .params."""

    def __init__(self, history, params):
        self.history = history
        self.epoch = list(range(len(history.get("loss", []))))
        self.params = params

    def __getitem__(self, k):
        return self.history[k]

    def __repr__(self):
        return f"History({self.history})"


class Sequential:
    """Sequential([GRU, Dense]) trained by the C fit loop (gru_seq_model + gru_fit)."""

    def __init__(self, layers=None, name=None):
        from . import GRU
        self.layers = list(layers or [])
        self.name = name or "sequential"
        if len(self.layers) != 2 or type(self.layers[0]) is not GRU or \
                not isinstance(self.layers[1], Dense):
            raise ValueError("libgru.Sequential takes [libgru.GRU(...), libgru.Dense(...)] "
                             "(the model the C fit loop drives: gru_seq_model)")
        if self.layers[0].time_major:
            raise ValueError("libgru.Sequential: the GRU must not be time_major")
        self.optimizer = None
        self.loss = None

    @property
    def gru(self):
        return self.layers[0]

    @property
    def head(self):
        return self.layers[1]

    def add(self, layer):
        raise NotImplementedError("libgru.Sequential is [GRU, Dense] exactly")

    def build(self, input_shape):
        g, d = self.gru, self.head
        if not g.built:
            g._ensure(np.zeros((1, 1, int(input_shape[-1])),
                               np.float64 if g._code == _F64 else np.float32))
        if d._code is None:
            d._code = g._code
        elif d._code != g._code:
            raise TypeError("the GRU and the Dense head must have the same dtype")
        if not d.built:
            d.build((None, g.units))

    def _prep_x(self, x):
        x = np.asarray(x)
        if not self.gru.built and self.gru._code is None:
            self.gru._code = _F64 if x.dtype == np.float64 else _F32
        self.build(x.shape)
        if x.ndim != 3:
            raise ValueError(f"expected inputs (batch, timesteps, features), got {x.shape}")
        dt = np.float64 if self.gru._code == _F64 else np.float32
        return np.ascontiguousarray(x, dtype=dt)

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        if metrics:
            raise ValueError("libgru.Sequential.compile: metrics are not supported (loss only)")
        self.optimizer = get_optimizer(optimizer)
        self.loss = get_loss(loss if loss is not None else "mse")

    def _y(self, y, n, T):
        y = np.asarray(y)
        dt = np.float64 if self.gru._code == _F64 else np.float32
        if y.shape[0] != n:
            raise ValueError(f"Data cardinality is ambiguous: x has {n} samples, y has "
                             f"{y.shape[0]}")
        ys = int(np.prod(y.shape[1:])) if y.ndim > 1 else 1
        return np.ascontiguousarray(y, dtype=dt).reshape(n, ys), ys

    def _loss_head(self):
        """(dense handle, from_logits) for training and evaluation. tf-keras' crossentropies
        take the cached pre-activation of a sigmoid / softmax output instead of the output
        (backend._get_logits: `output._keras_logits`, then from_logits=True, whatever
        from_logits said); so does libgru, with a linear twin of the head."""
        lo, d = self.loss, self.head
        if lo._kind != 0 and d._act_name() in ("sigmoid", "softmax"):
            return d._logits_twin(), True
        return d._h, lo.from_logits

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, validation_data=None,
            shuffle=True, initial_epoch=0, seed=None, **kwargs):
        """Keras' Model.fit over numpy arrays, run by gru_fit; returns a History."""
        from . import _seed
        if self.optimizer is None:
            raise RuntimeError("You must compile your model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")
        for k in kwargs:
            raise TypeError(f"fit: unsupported argument {k!r}")
        if verbose == "auto":
            verbose = 1
        x = self._prep_x(x)
        n, T = x.shape[0], x.shape[1]
        y, ys = self._y(y, n, T)
        xv = yv = None
        nv = 0
        if validation_data is not None:
            xv = self._prep_x(validation_data[0])
            nv = xv.shape[0]
            yv, _ = self._y(validation_data[1], nv, T)
        code = self.gru._code
        weights = self.gru.get_weights() + self.head.get_weights()
        opt = self.optimizer._handle(code, [w.size for w in weights])
        epochs = int(epochs) - int(initial_epoch)
        bs = int(batch_size or 32)
        if seed is None:
            seed = _seed()[0]
        sys.stdout.flush()
        head, logits = self._loss_head()
        try:
            loss, val, done = _libgru.seq_fit(
                self.gru._h, head, self.loss._kind, logits, self.loss.label_smoothing, opt, code,
                T, n, x[0].size, ys, x, y, nv, xv, yv, epochs, bs, bool(shuffle), int(seed),
                int(verbose))
        finally:
            if head is not self.head._h:
                self.head._twin_back(head)
        hist = {"loss": loss}
        if nv:
            hist["val_loss"] = val
        return History(hist, dict(verbose=verbose, epochs=epochs, steps=-(-n // bs)))

    def evaluate(self, x, y, batch_size=None, verbose=0):
        x = self._prep_x(x)
        n, T = x.shape[0], x.shape[1]
        y, ys = self._y(y, n, T)
        head, logits = self._loss_head()
        return _libgru.seq_eval(self.gru._h, head, self.loss._kind, logits,
                                self.loss.label_smoothing, self.gru._code, T, n, x, y, ys,
                                int(batch_size or 32))

    def predict(self, x, batch_size=None, verbose=0):
        x = self._prep_x(x)
        n, T = x.shape[0], x.shape[1]
        U = self.head.units
        shape = (n, T, U) if self.gru.return_sequences else (n, U)
        out = np.empty(shape, np.float64 if self.gru._code == _F64 else np.float32)
        _libgru.seq_predict(self.gru._h, self.head._h, self.gru._code, T, n, x, out,
                            int(batch_size or 32))
        return out

    __call__ = predict

    def get_weights(self):
        return self.gru.get_weights() + self.head.get_weights()

    def set_weights(self, weights):
        weights = list(weights)
        if not self.gru.built:
            self.gru._code = self.gru._code or (_F64 if np.asarray(weights[0]).dtype == np.float64
                                                else _F32)
            self.build((None, None, np.shape(weights[0])[0]))
        n = len(self.gru.cell._weight_shapes())
        self.gru.set_weights(weights[:n])
        self.build((None, None, self.gru.input_dim))
        self.head.set_weights(weights[n:])

    @property
    def trainable_variables(self):
        return self.get_weights()


# ---------------------------------------------------------------- any layer
def fit(layer, x, y, epochs=1, batch_size=32, optimizer="adam", loss="mse", learning_rate=None,
        shuffle=True, seed=0, verbose=1):
    """Train any libgru layer (GRU, Bidirectional) so that layer(x) ~ y: per mini-batch
    forward_train, the loss and its gradient (gru_loss), backward, and the optimizer's C
    step (gru_optimizer_apply). No regularizer penalties. Returns a History
    (`h.history['loss']`, also `h['loss']`)."""
    opt = get_optimizer(optimizer)
    if learning_rate is not None:
        opt.learning_rate = learning_rate
    lossf = get_loss(loss)
    x = np.asarray(x)
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    hist = []
    nb = -(-n // batch_size)
    for ep in range(epochs):
        idx = rng.permutation(n) if shuffle else np.arange(n)
        tot = 0.0
        if verbose:
            sys.stdout.write(f"Epoch {ep + 1}/{epochs}\n")
        for b in range(nb):
            sl = idx[b * batch_size:(b + 1) * batch_size]
            out, tape = layer.forward_train(x[sl], training=True)
            out = out[0] if isinstance(out, list) else out
            lv, d = _loss_call(lossf, y[sl], out, want_grad=True)
            g = layer.backward(tape, d)["weights"]
            w = layer.get_weights()
            opt.apply_gradients(zip(g, w))
            layer.set_weights(w)
            tot += lv * len(sl)
            if verbose == 1:
                done = int(30 * (b + 1) / nb)
                sys.stdout.write(f"\r{b + 1}/{nb} [{'=' * done}{'.' * (30 - done)}] "
                                 f"- loss: {tot / min(n, (b + 1) * batch_size):.4g}")
                sys.stdout.flush()
        hist.append(tot / n)
        if verbose:
            sys.stdout.write(("\n" if verbose == 1 else "") + f"{nb}/{nb} - loss: {hist[-1]:.4g}\n")
    return History({"loss": hist}, dict(epochs=epochs, steps=nb))


class _NS:
    pass


optimizers = _NS()
for _c in (Optimizer, SGD, Adam, RMSprop, Adagrad):
    setattr(optimizers, _c.__name__, _c)
optimizers.get = get_optimizer
losses = _NS()
for _c in (Loss, MeanSquaredError, BinaryCrossentropy, CategoricalCrossentropy,
           SparseCategoricalCrossentropy):
    setattr(losses, _c.__name__, _c)
losses.get = get_loss
