"""libgru from Python: tf-keras 2.21's v1 GRUCell / GRU / Bidirectional, in C.

    import numpy as np, libgru
    layer = libgru.GRU(16, return_sequences=True)          # Keras' arguments and defaults
    y = layer(np.random.rand(4, 10, 8).astype("float32"))  # numpy in, numpy out
    out, tape = layer.forward_train(x)                     # a forward that records a tape
    g = layer.backward(tape, np.ones_like(out))            # {'inputs', 'initial_state', 'weights'}

Arrays are float32 or float64 (the layer's dtype; default float32, or the
dtype of the first input when no dtype was given). C-contiguous inputs of the
layer's dtype are passed to C without a copy; outputs are fresh numpy arrays
written by C. Errors from C raise ValueError (libgru.LibgruError) or TypeError
(dtype) with the C message.

Training: `Sequential([GRU(...), Dense(...)]).compile(optimizer, loss).fit(x, y, ...)`
runs the C fit loop with the C optimizers (see _fit.py); `load`, `from_keras` and
`to_keras` move models between files, tf-keras and libgru.

Gradients (libgru's answer to Keras' GradientTape): every layer has
`forward_train(...) -> (outputs, tape)` and `backward(tape, d_outputs, ...)`
returning the gradients of sum(outputs * d_outputs) with respect to the
inputs, the initial states and the weights (in get_weights() order); the cell
has `backward(inputs, states, d_output, training=None)`.
"""
import json
import os
import threading

import numpy as np

from . import _libgru
from ._libgru import LibgruError


_LOCKS_GUARD = threading.Lock()


def _handle_lock(obj):
    """The lock that serialises calls on obj's C handle (gru.h: one handle is used by one
    thread at a time). A cell, layer or direction taken out of a layer, Bidirectional or
    model shares its owner's lock; Python threads calling one object wait for each other
    (the C call itself runs without the GIL)."""
    root = obj
    while getattr(root, "_owner", None) is not None:
        root = root._owner
    lk = root.__dict__.get("_hlock")
    if lk is None:
        with _LOCKS_GUARD:
            lk = root.__dict__.setdefault("_hlock", threading.RLock())
    return lk

__all__ = ["GRUCell", "GRU", "Bidirectional", "Model", "load", "from_keras", "to_keras",
           "LibgruError", "fit", "Dense", "Sequential", "History", "optimizers", "losses",
           "SGD", "Adam", "RMSprop", "Adagrad", "floatx", "set_floatx",
           "set_num_threads", "get_num_threads"]
__version__ = _libgru.version()


def set_num_threads(n):
    """Run the forward (inference) calls of GRU, Bidirectional and loaded
    models on n threads (default 1). The results are bitwise those of one
    thread. One pool of n - 1 worker threads, owned by the module, is made at
    the next forward call and freed when n changes. The pool serves one call
    at a time: a call made while another Python thread's call holds it runs on
    one thread. Training (forward_train, fit) stays on one thread.
    n: an int in [1, 1024], else ValueError."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"set_num_threads: n must be an int >= 1, got {n!r}")
    n = int(n)
    if n < 1 or n > 1024:
        raise ValueError(f"set_num_threads: n must be in [1, 1024], got {n}")
    _libgru.set_num_threads(n)


def get_num_threads():
    """The thread count set by set_num_threads (default 1)."""
    return _libgru.get_num_threads()

_F32, _F64 = 1, 2
_TRAIN = {None: -1, False: 0, True: 1}
_MERGE = {"concat": 0, "sum": 1, "mul": 2, "ave": 3, None: 4}


_SEEDS = np.random.SeedSequence()


def _seed():
    """A fresh seed for each layer built (as Keras' unseeded initializers draw fresh
    weights for every layer; without it every layer of one config had the same weights)."""
    return (int(_SEEDS.spawn(1)[0].generate_state(1, np.uint64)[0]), True)


def _code(dtype):
    dt = np.dtype(dtype)
    if dt == np.float32:
        return _F32
    if dt == np.float64:
        return _F64
    raise TypeError(f"libgru computes in float32 or float64, not {dt}")


def _np(code):
    return np.float32 if code == _F32 else np.float64


def _training(training):
    if training not in _TRAIN:
        training = bool(training)
    return _TRAIN[training]


def _arr(x, code, name="inputs"):
    """Contiguous array of the dtype; no copy when x already is one."""
    if x is None:
        return None
    a = np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{name}: expected a numeric array, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=_np(code))


def _mask(mask, batch, steps, time_major):
    """The mask as Keras' backend.rnn reads it: (batch, timesteps), or (timesteps, batch)
    when time_major (tf-keras passes the mask on untransposed: backend.rnn swaps the batch
    and time axes of the mask only when not time_major)."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.ndim == 3 and m.shape[-1] == 1:
        m = m[..., 0]
    want = (steps, batch) if time_major else (batch, steps)
    if m.shape != want:
        what = "(timesteps, batch) as time_major" if time_major else "(batch, timesteps)"
        raise ValueError(f"mask: expected shape {want} {what}, got {m.shape}")
    return np.ascontiguousarray(m.astype(bool), dtype=np.uint8)


def _initializer_like(v):
    # Keras objects (initializers, regularizers, constraints) -> their serialized dicts
    if v is None or isinstance(v, (str, dict, int, float, bool)):
        return v
    if hasattr(v, "get_config"):
        return {"class_name": type(v).__name__, "config": v.get_config()}
    if callable(v) and hasattr(v, "__name__"):
        return v.__name__
    raise TypeError(f"cannot pass {v!r} to libgru (use a Keras name or a serialized dict)")


def _regularizer(spec):
    """(serialized spec, fn(array) -> float) for a Keras L1 / L2 / L1L2 regularizer."""
    spec = _initializer_like(spec)
    if spec is None:
        return None
    if isinstance(spec, str):
        name, cfg = spec, {}
    elif isinstance(spec, dict) and "class_name" in spec:
        name, cfg = spec["class_name"], dict(spec.get("config") or {})
    else:
        raise ValueError(f"cannot use {spec!r} as a regularizer")
    key = name.lower().replace("_", "")
    if key in ("l1", "l2"):
        a = float(cfg.get(key, 0.01))
        l1, l2 = (a, 0.0) if key == "l1" else (0.0, a)
    elif key == "l1l2":
        l1, l2 = float(cfg.get("l1", 0.0)), float(cfg.get("l2", 0.0))
    else:
        raise ValueError(f"Unknown regularizer: {name!r}")

    def fn(x):
        x = np.asarray(x, np.float64)
        return l1 * float(np.abs(x).sum()) + l2 * float((x * x).sum())
    return spec, fn


_CELL_DEFAULTS = dict(
    activation="tanh", recurrent_activation="hard_sigmoid", use_bias=True,
    kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
    bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
    bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
    bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, implementation=1,
    reset_after=False)
_LAYER_DEFAULTS = dict(_CELL_DEFAULTS, activity_regularizer=None, return_sequences=False,
                       return_state=False, go_backwards=False, stateful=False, unroll=False,
                       time_major=False)
_LAYER_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
                "time_major", "zero_output_for_mask")


class _Base:
    _counter = {}

    def __init__(self, name, dtype):
        cls = type(self).__name__.lower()
        n = _Base._counter.get(cls, 0)
        _Base._counter[cls] = n + 1
        self.name = name or (cls if n == 0 else f"{cls}_{n}")
        self._code = _code(dtype) if dtype is not None else None
        self._h = None
        self.trainable = True

    @property
    def dtype(self):
        return np.dtype(_np(self._code or _F32)).name

    @property
    def built(self):
        return self._h is not None

    def _ensure(self, x):
        if self._code is None:
            a = np.asarray(x)
            self._code = _F64 if a.dtype == np.float64 else _F32
        if self._h is None:
            self.build(np.shape(x))

    def __call__(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def __deepcopy__(self, memo):
        """copy.deepcopy: an unbuilt object is copied as is (it builds with weights of its
        own); a built one is rebuilt from its config with a copy of its weights (and
        states, when stateful)."""
        import copy
        if self._h is None:
            new = type(self).__new__(type(self))
            memo[id(self)] = new
            for k, v in self.__dict__.items():
                if k != "_hlock":  # a lock is not copied: the copy gets its own
                    new.__dict__[k] = copy.deepcopy(v, memo)
            return new
        new = self._rebuilt()
        memo[id(self)] = new
        return new


class GRUCell(_Base):
    """tf.compat.v1.keras.layers.GRUCell (v1 defaults: hard_sigmoid, reset_after=False)."""

    def __init__(self, units, activation="tanh", recurrent_activation="hard_sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, implementation=1, reset_after=False,
                 name=None, dtype=None, **kwargs):
        super().__init__(name, dtype)
        if units is None or int(units) <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a "
                             f"positive integer, got {units}.")
        loc = dict(locals())
        self._cfg = {k: _initializer_like(loc[k]) for k in _CELL_DEFAULTS}
        self._cfg["units"] = int(units)
        self._cfg["dropout"] = min(1.0, max(0.0, float(dropout)))
        self._cfg["recurrent_dropout"] = min(1.0, max(0.0, float(recurrent_dropout)))
        if self._cfg["recurrent_dropout"] != 0 and self._cfg["implementation"] != 1:
            self._cfg["implementation"] = 1
        self._keras_major = int(kwargs.pop("keras_major", 2))
        self.units = int(units)
        self.state_size = self.units
        self.output_size = self.units
        for k, v in self._cfg.items():
            if k != "units":
                setattr(self, k, v)
        self._owner = None

    # -- building
    def build(self, input_shape):
        f = int(input_shape[-1])
        self._h = _libgru.cell_create(json.dumps(self._cfg), f, self._code or _F32,
                                      self._keras_major, *_seed())
        self.input_dim = f

    @classmethod
    def _wrap(cls, handle, owner, code, cfg):
        c = cls.__new__(cls)
        _Base.__init__(c, None, _np(code))
        c._h, c._owner, c._cfg, c._keras_major = handle, owner, cfg, 2
        c.units = c.state_size = c.output_size = int(cfg["units"])
        c.input_dim = _libgru.cell_info(handle)[1]
        for k, v in cfg.items():
            if k in _CELL_DEFAULTS:
                setattr(c, k, v)
        return c

    def _rebuilt(self):
        c = GRUCell.from_config(_clean(self.get_config()))
        c._code = self._code
        c.name, c.trainable = self.name, self.trainable
        c.set_weights(self.get_weights())
        return c

    # -- Keras API
    def call(self, inputs, states, training=None):
        """(inputs (B,F), [h (B,U)]) -> (h_new, [h_new]), as Keras' cell.call."""
        h = states[0] if isinstance(states, (list, tuple)) else states
        self._ensure(inputs)
        x = _arr(inputs, self._code)
        h = _arr(h, self._code, "states")
        if x.ndim != 2:
            raise ValueError(f"GRUCell inputs: expected rank 2 (batch, features), got {x.shape}")
        out = np.empty((x.shape[0], self.units), _np(self._code))
        with _handle_lock(self):
            _libgru.cell_call(self._h, self._code, x.shape[0], x, h, _training(training), out)
        return out, [out]

    def backward(self, inputs, states, d_output, training=None):
        """Gradients of sum(cell(inputs, states)[0] * d_output): a dict with 'inputs',
        'states' and 'weights' ([d_kernel, d_recurrent_kernel, d_bias]). Uses the cached
        dropout masks, as the forward call that preceded it."""
        h = states[0] if isinstance(states, (list, tuple)) else states
        self._ensure(inputs)
        x, h = _arr(inputs, self._code), _arr(h, self._code, "states")
        dy = _arr(d_output, self._code, "d_output")
        dx, dh = np.empty_like(x), np.empty_like(h)
        g = [np.zeros(w.shape, _np(self._code)) for w in self.get_weights()]
        if len(g) == 2:
            g.append(None)
        with _handle_lock(self):
            _libgru.cell_backward(self._h, self._code, x.shape[0], x, h, _training(training), dy,
                                  dx, dh, g[0], g[1], g[2])
        return {"inputs": dx, "states": [dh], "weights": [w for w in g if w is not None]}

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        if batch_size is None:
            batch_size = np.shape(inputs)[0]
        dt = dtype or (np.asarray(inputs).dtype if inputs is not None else self.dtype)
        return np.zeros((int(batch_size), self.units), dt)

    def _weight_shapes(self):
        U, F = self.units, self.input_dim
        shapes = [(F, 3 * U), (U, 3 * U)]
        if self._cfg.get("use_bias", True):
            shapes.append((2, 3 * U) if self._cfg.get("reset_after") else (3 * U,))
        return shapes

    def get_weights(self):
        if self._h is None:
            return []
        code = self._code
        w = [np.empty(s, _np(code)) for s in self._weight_shapes()]
        _libgru.cell_get_weights(self._h, code, w[0], w[1], w[2] if len(w) > 2 else None)
        return w

    def set_weights(self, weights):
        weights = list(weights)
        if self._h is None:
            self.build((None, np.shape(weights[0])[0]))
        shapes = self._weight_shapes()
        if len(weights) != len(shapes):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a "
                             f"weight list of length {len(weights)}, but the layer was "
                             f"expecting {len(shapes)} weights.")
        ws = []
        for w, s in zip(weights, shapes):
            a = _arr(w, self._code, "weights")
            if a.shape != s:
                raise ValueError(f"Layer {self.name} weight shape {s} is not compatible with "
                                 f"provided weight shape {a.shape}.")
            ws.append(a)
        _libgru.cell_set_weights(self._h, self._code, ws[0], ws[1], ws[2] if len(ws) > 2 else None)

    @property
    def weights(self):
        return self.get_weights()

    @property
    def kernel_name(self):
        """The SIMD kernel variant C picked ("avx512", "avx2", "scalar", ...)."""
        return _libgru.cell_info(self._h)[6] if self._h else None

    @property
    def losses(self):
        if self._h is None:
            return []
        k, r, b, _ = _libgru.cell_losses(self._h)
        return [v for v, reg in zip((k, r, b), ("kernel_regularizer", "recurrent_regularizer",
                                                 "bias_regularizer")) if self._cfg.get(reg)]

    def get_config(self):
        if self._h is not None:
            cfg = json.loads(_libgru.cell_config_json(self._h))
        else:
            cfg = dict(self._cfg)
        cfg.update(name=self.name, trainable=self.trainable, dtype=self.dtype)
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**dict(config))

    # -- DropoutRNNCellMixin
    def _mask(self, which, inputs, training, count):
        self._ensure(inputs)
        B = np.shape(inputs)[0]
        w = self.units if which else self.input_dim
        out = np.empty((count, B, w), _np(self._code))
        has = _libgru.cell_get_mask(self._h, which, self._code, B, _training(training), count, out)
        if not has:
            return None
        return [out[i] for i in range(count)]

    def get_dropout_mask_for_cell(self, inputs, training, count=1):
        return self._mask(0, inputs, training, count)

    def get_recurrent_dropout_mask_for_cell(self, inputs, training, count=1):
        return self._mask(1, inputs, training, count)

    def reset_dropout_mask(self):
        if self._h is not None:
            _libgru.cell_reset_mask(self._h, 0)

    def reset_recurrent_dropout_mask(self):
        if self._h is not None:
            _libgru.cell_reset_mask(self._h, 1)

    def set_dropout_mask(self, masks, recurrent=False):
        """Put caller-made masks (3 arrays (B,F), or (B,U) when recurrent) in the cache."""
        m = _arr(np.stack(masks), self._code, "masks")
        _libgru.cell_set_mask(self._h, 1 if recurrent else 0, self._code, m.shape[1], m)


class _Tape:
    def __init__(self, handle, **kw):
        self.handle = handle
        self.__dict__.update(kw)


class GRU(_Base):
    """tf.compat.v1.keras.layers.GRU (RNN(GRUCell) with the v1 defaults)."""

    def __init__(self, units, activation="tanh", recurrent_activation="hard_sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, implementation=1,
                 return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=False, time_major=False,
                 name=None, dtype=None, **kwargs):
        super().__init__(name, dtype)
        if units is None or int(units) <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a "
                             f"positive integer, got {units}.")
        loc = dict(locals())
        self._cfg = {k: _initializer_like(loc[k]) for k in _LAYER_DEFAULTS}
        self._cfg["units"] = int(units)
        self._cfg["recurrent_dropout"] = min(1.0, max(0.0, float(recurrent_dropout)))
        if self._cfg["recurrent_dropout"] != 0 and self._cfg["implementation"] != 1:
            self._cfg["implementation"] = 1
        # the C library has no activity regularizer: applied here, on call()'s outputs
        self._activity_regularizer = _regularizer(self._cfg.pop("activity_regularizer"))
        self._activity_losses = []
        self.activity_regularizer = (self._activity_regularizer[0]
                                     if self._activity_regularizer else None)
        self._cfg["zero_output_for_mask"] = bool(kwargs.pop("zero_output_for_mask", False))
        self._batch_size = kwargs.pop("batch_size", None)
        bis = kwargs.pop("batch_input_shape", None) or kwargs.pop("batch_shape", None)
        if bis is not None:
            self._batch_size = bis[0]
        input_shape = kwargs.pop("input_shape", None)
        if bis is not None:
            input_shape = bis[1:]
        self._keras_major = int(kwargs.pop("keras_major", 2))
        if self._batch_size is not None:
            self._cfg["batch_input_shape"] = [self._batch_size, None, None]
        self.units = int(units)
        for k, v in self._cfg.items():
            if k not in ("units", "batch_input_shape"):
                setattr(self, k, v)
        self._owner = None
        self.cell = None
        if input_shape is not None and input_shape[-1] is not None:
            self.build((None,) + tuple(input_shape))

    def _json(self, input_dim):
        cfg = dict(self._cfg)
        if self._batch_size is not None:
            cfg["batch_input_shape"] = [int(self._batch_size), None, int(input_dim)]
        return json.dumps(cfg)

    def build(self, input_shape):
        f = int(input_shape[-1])
        if self.stateful and self._batch_size is None:
            if input_shape[0 if not self.time_major else 1] is None:
                raise ValueError("If a RNN is stateful, it needs to know its batch size. "
                                 "Specify the batch size of your input tensors (batch_size=).")
            self._batch_size = int(input_shape[1 if self.time_major else 0])
        self._h = _libgru.layer_create(self._json(f), f, self._code or _F32, self._keras_major,
                                       *_seed())
        self._after_build()

    def _after_build(self):
        self.input_dim = _libgru.cell_info(_libgru.layer_cell(self._h))[1]
        self.cell = GRUCell._wrap(_libgru.layer_cell(self._h), self, self._code,
                                  {k: self._cfg[k] for k in _CELL_DEFAULTS} | {"units": self.units})

    @classmethod
    def _wrap(cls, handle, owner, code):
        g = cls.__new__(cls)
        _Base.__init__(g, None, _np(code))
        cfg = json.loads(_libgru.layer_config_json(handle))
        g._cfg = {k: cfg.get(k, v) for k, v in _LAYER_DEFAULTS.items()}
        g._cfg["units"] = cfg["units"]
        g._cfg["zero_output_for_mask"] = cfg.get("zero_output_for_mask", False)
        g.units = int(cfg["units"])
        g._batch_size = None
        g._keras_major = 2
        for k, v in g._cfg.items():
            if k != "units":
                setattr(g, k, v)
        g._h, g._owner = handle, owner
        g._after_build()
        return g

    def _rebuilt(self):
        cfg = _clean(self.get_config())
        if self._batch_size is not None:
            cfg["batch_size"] = self._batch_size
        g = GRU.from_config(cfg)
        g._code = self._code
        g.name, g.trainable = self.name, self.trainable
        g.build((self._batch_size, None, self.input_dim))
        g.set_weights(self.get_weights())
        if self.stateful:
            g.reset_states(self.states[0])
        return g

    # -- shapes
    def _bt(self, x):
        if x.ndim != 3:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: "
                             f"expected ndim=3, found ndim={x.ndim}. Full shape received: {x.shape}")
        return (x.shape[1], x.shape[0]) if self.time_major else (x.shape[0], x.shape[1])

    def _out_shape(self, B, T):
        if not self.return_sequences:
            return (B, self.units)
        return (T, B, self.units) if self.time_major else (B, T, self.units)

    @staticmethod
    def _state(initial_state, i=0):
        if initial_state is None:
            return None
        if isinstance(initial_state, (list, tuple)):
            return initial_state[i] if len(initial_state) > i else None
        return initial_state

    def _prep(self, inputs, mask, initial_state):
        self._ensure(inputs)
        x = _arr(inputs, self._code)
        B, T = self._bt(x)
        m = _mask(mask, B, T, self.time_major)
        h0 = _arr(self._state(initial_state), self._code, "initial_state")
        return x, B, T, m, h0

    def call(self, inputs, mask=None, training=None, initial_state=None):
        x, B, T, m, h0 = self._prep(inputs, mask, initial_state)
        out = np.empty(self._out_shape(B, T), _np(self._code))
        st = np.empty((B, self.units), _np(self._code))
        with _handle_lock(self):
            _libgru.layer_forward(self._h, self._code, B, T, x, m, h0, _training(training), out,
                                  st, 0)
        res = [out, st] if self.return_state else out
        self._activity(res)
        return res

    def _activity(self, res):
        # Keras' Layer._handle_activity_regularization: regularizer(output) / batch, per output
        reg = getattr(self, "_activity_regularizer", None)
        if reg is not None:
            self._activity_losses = [reg[1](o) / o.shape[0]
                                     for o in (res if isinstance(res, list) else [res])]

    def forward_train(self, inputs, mask=None, training=None, initial_state=None):
        """call() that also records a tape for backward()."""
        x, B, T, m, h0 = self._prep(inputs, mask, initial_state)
        out = np.empty(self._out_shape(B, T), _np(self._code))
        st = np.empty((B, self.units), _np(self._code))
        with _handle_lock(self):
            t = _libgru.layer_forward(self._h, self._code, B, T, x, m, h0, _training(training), out,
                                      st, 1)
        res = [out, st] if self.return_state else out
        self._activity(res)
        return res, _Tape(t, x=x, m=m, B=B, T=T)

    def backward(self, tape, d_output, d_state=None):
        """Gradients of sum(output * d_output) (+ sum(state * d_state) with return_state):
        {'inputs', 'initial_state', 'weights' (get_weights() order)}."""
        if isinstance(d_output, (list, tuple)):
            d_output, d_state = d_output[0], (d_output[1] if len(d_output) > 1 else d_state)
        c = self._code
        dy = _arr(d_output, c, "d_output")
        ds = _arr(d_state, c, "d_state")
        dx = np.empty_like(tape.x)
        dh = np.empty((tape.B, self.units), _np(c))
        g = [np.zeros(s, _np(c)) for s in self.cell._weight_shapes()]
        gb = g[2] if len(g) > 2 else None
        with _handle_lock(self):
            _libgru.layer_backward(self._h, c, tape.B, tape.T, tape.x, tape.m, tape.handle, dy, ds,
                                   dx, dh, g[0], g[1], gb)
        return {"inputs": dx, "initial_state": dh, "weights": g}

    # -- weights, states, config
    def get_weights(self):
        return self.cell.get_weights() if self.cell else []

    def set_weights(self, weights):
        weights = list(weights)
        if self._h is None:
            self._code = self._code or _F32
            self.build((None, None, np.shape(weights[0])[0]))
        self.cell.set_weights(weights)

    @property
    def weights(self):
        return self.get_weights()

    @property
    def states(self):
        if not self.stateful or self._h is None:
            return [None]
        s = np.empty((self._batch_size, self.units), _np(self._code))
        _libgru.layer_get_states(self._h, self._code, s)
        return [s]

    def reset_states(self, states=None):
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        if self._h is None:
            return
        if isinstance(states, (list, tuple)):
            states = states[0]
        s = _arr(states, self._code, "states")
        if s is not None and s.shape != (self._batch_size, self.units):
            raise ValueError(f"State 0 is incompatible with layer {self.name}: expected shape="
                             f"{(self._batch_size, self.units)}, found shape={s.shape}")
        _libgru.layer_reset_states(self._h, self._code, s)

    def get_initial_state(self, inputs):
        x = np.asarray(inputs)
        B = x.shape[1] if self.time_major else x.shape[0]
        return [np.zeros((B, self.units), x.dtype if x.dtype.kind == "f" else self.dtype)]

    def get_config(self):
        if self._h is not None:
            cfg = json.loads(_libgru.layer_config_json(self._h))
        else:
            cfg = dict(self._cfg)
        reg = getattr(self, "_activity_regularizer", None)
        cfg["activity_regularizer"] = reg[0] if reg else None
        cfg.update(name=self.name, trainable=self.trainable, dtype=self.dtype)
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "cell" in config and isinstance(config["cell"], dict):   # RNN(GRUCell) configs
            config.update(config.pop("cell").get("config", {}))
        return cls(**config)

    @property
    def losses(self):
        """The weight regularization losses, then (after a call) the activity losses."""
        return (self.cell.losses if self.cell else []) + list(getattr(self, "_activity_losses", []))


class Bidirectional(_Base):
    """tf.keras.layers.Bidirectional(GRU, merge_mode, backward_layer)."""

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 name=None, **kwargs):
        if not isinstance(layer, GRU):
            raise ValueError("Please initialize `Bidirectional` layer with a libgru.GRU "
                             f"instance. You passed: {layer}")
        if merge_mode not in _MERGE:
            raise ValueError(f"Invalid merge mode. Merge mode should be one of "
                             f"{{'sum', 'mul', 'ave', 'concat', None}}, got {merge_mode}")
        if backward_layer is not None:
            if not isinstance(backward_layer, GRU):
                raise ValueError("`backward_layer` need to be a libgru.GRU instance. "
                                 f"You passed: {backward_layer}")
            for a in ("stateful", "return_sequences", "return_state"):
                if getattr(layer, a) != getattr(backward_layer, a):
                    raise ValueError("Forward layer and backward layer should have the same "
                                     f"value for {a}")
        super().__init__(name or "bidirectional_" + layer.name, kwargs.get("dtype") or
                         (_np(layer._code) if layer._code else None))
        self.layer = layer
        self._backward_arg = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self.forward_layer = self.backward_layer = None
        self._init_weights = weights

    def build(self, input_shape):
        f = int(input_shape[-1])
        if self.layer.stateful and self.layer._batch_size is None:
            self.layer._batch_size = int(input_shape[0])
        fj = self.layer._json(f)
        bj = self._backward_arg._json(f) if self._backward_arg is not None else None
        self._h = _libgru.bi_create(fj, bj, f, self._code or _F32, 2, _MERGE[self.merge_mode],
                                    *_seed())
        self.forward_layer = GRU._wrap(_libgru.bi_layer(self._h, 0), self, self._code or _F32)
        self.backward_layer = GRU._wrap(_libgru.bi_layer(self._h, 1), self, self._code or _F32)
        self.forward_layer.name = "forward_" + self.layer.name
        self.backward_layer.name = "backward_" + (self._backward_arg.name if self._backward_arg
                                                  else self.layer.name)
        self._width = _libgru.bi_info(self._h)
        if self._init_weights is not None:
            self.set_weights(self._init_weights)

    def _rebuilt(self):
        b = Bidirectional.from_config(self.get_config())
        b._code = self._code
        b.name, b.trainable = self.name, self.trainable
        b.build((self.layer._batch_size, None, self.forward_layer.input_dim))
        b.set_weights(self.get_weights())
        return b

    def _prep(self, inputs, mask, initial_state):
        self._ensure(inputs)
        x = _arr(inputs, self._code)
        tm = self.forward_layer.time_major
        if x.ndim != 3:
            raise ValueError(f"Bidirectional: expected inputs of rank 3, got {x.shape}")
        B, T = (x.shape[1], x.shape[0]) if tm else (x.shape[0], x.shape[1])
        m = _mask(mask, B, T, tm)
        s0 = s1 = None
        if initial_state is not None:
            if not isinstance(initial_state, (list, tuple)) or len(initial_state) != 2:
                raise ValueError("When passing `initial_state` to a Bidirectional RNN, the "
                                 "state should be a list containing the states of the "
                                 f"underlying RNNs. Received: {initial_state}")
            s0 = _arr(initial_state[0], self._code, "initial_state")
            s1 = _arr(initial_state[1], self._code, "initial_state")
        return x, B, T, m, s0, s1

    def _outs(self, B, T):
        U = self.forward_layer.units
        tm = self.forward_layer.time_major
        W = self._width
        def shp(w):
            if not self.return_sequences:
                return (B, w)
            return (T, B, w) if tm else (B, T, w)
        dt = _np(self._code)
        if self.merge_mode is None:
            return np.empty(shp(U), dt), np.empty(shp(U), dt)
        return np.empty(shp(W), dt), None

    def _forward(self, inputs, mask, training, initial_state, train):
        x, B, T, m, s0, s1 = self._prep(inputs, mask, initial_state)
        out, outb = self._outs(B, T)
        U = self.forward_layer.units
        hf = np.empty((B, U), _np(self._code))
        hb = np.empty((B, U), _np(self._code))
        with _handle_lock(self):
            t = _libgru.bi_forward(self._h, self._code, B, T, x, m, s0, s1, _training(training), out,
                                   outb, hf, hb, train)
        res = [out] if outb is None else [out, outb]
        if self.return_state:
            res += [hf, hb]
        res = res[0] if len(res) == 1 else res
        return res, (_Tape(t, x=x, m=m, B=B, T=T) if train else None)

    def call(self, inputs, mask=None, training=None, initial_state=None):
        return self._forward(inputs, mask, training, initial_state, 0)[0]

    def forward_train(self, inputs, mask=None, training=None, initial_state=None):
        return self._forward(inputs, mask, training, initial_state, 1)

    def backward(self, tape, d_outputs):
        """d_outputs: as call()'s outputs (a list when there are several).
        Returns {'inputs', 'initial_state': [fwd, bwd], 'weights': fwd's then bwd's}."""
        d = list(d_outputs) if isinstance(d_outputs, (list, tuple)) else [d_outputs]
        c = self._code
        n_out = 1 if self.merge_mode is not None else 2
        dy = _arr(d[0], c, "d_output")
        dyb = _arr(d[1], c, "d_output") if n_out == 2 else None
        ds = d[n_out:n_out + 2] + [None, None]
        ds0, ds1 = _arr(ds[0], c, "d_state"), _arr(ds[1], c, "d_state")
        U = self.forward_layer.units
        dx = np.empty_like(tape.x)
        dh0 = np.empty((tape.B, U), _np(c))
        dh1 = np.empty((tape.B, U), _np(c))
        gs = []
        for lay in (self.forward_layer, self.backward_layer):
            g = [np.zeros(s, _np(c)) for s in lay.cell._weight_shapes()]
            gs.append(g)
        gt = [tuple(g) if len(g) == 3 else (g[0], g[1], None) for g in gs]
        with _handle_lock(self):
            _libgru.bi_backward(self._h, c, tape.B, tape.T, tape.x, tape.m, tape.handle, dy, dyb,
                                ds0, ds1, dx, dh0, dh1, gt[0], gt[1])
        return {"inputs": dx, "initial_state": [dh0, dh1], "weights": gs[0] + gs[1]}

    def get_weights(self):
        if self._h is None:
            return []
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def set_weights(self, weights):
        weights = list(weights)
        if self._h is None:
            self._code = self._code or _F32
            self.build((None, None, np.shape(weights[0])[0]))
        n = len(self.forward_layer.cell._weight_shapes())
        self.forward_layer.set_weights(weights[:n])
        self.backward_layer.set_weights(weights[n:])

    @property
    def weights(self):
        return self.get_weights()

    def reset_states(self, states=None):
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        if self._h is not None:
            if states is None:
                _libgru.bi_reset_states(self._h)
            else:
                self.forward_layer.reset_states(states[0])
                self.backward_layer.reset_states(states[1])

    def get_config(self):
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
               "merge_mode": self.merge_mode,
               "layer": {"class_name": "GRU", "config": self.layer.get_config()}}
        if self._backward_arg is not None:
            cfg["backward_layer"] = {"class_name": "GRU",
                                     "config": self._backward_arg.get_config()}
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layer = GRU.from_config(config.pop("layer")["config"])
        bl = config.pop("backward_layer", None)
        if bl is not None:
            bl = GRU.from_config(bl["config"])
        return cls(layer, backward_layer=bl, **config)


# ---------------------------------------------------------------- models, files
class Model:
    """A model read by the C library (gru_model): call it on numpy arrays."""

    def __init__(self, handle, path=None, fmt=None):
        self._h, self.path, self.format = handle, path, fmt
        ins, outs, nodes, code = _libgru.model_info(handle, 1, 1)
        self._code = code
        self.dtype = np.dtype(_np(code)).name
        self.nodes = [{"class_name": k, "name": n, "n_weights": w} for k, n, w in nodes]
        self.n_inputs, self.n_outputs = len(ins), len(outs)

    def __call__(self, *inputs, steps=None):
        if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
            inputs = tuple(inputs[0])
        B = np.shape(inputs[0])[0]
        if steps is None:
            steps = np.shape(inputs[0])[1] if np.ndim(inputs[0]) >= 2 else 1
        ins, outs, _, _ = _libgru.model_info(self._h, B, steps)
        arrs = []
        for a, (shape, is_int) in zip(inputs, ins):
            a = np.ascontiguousarray(a, dtype=np.int64 if is_int else _np(self._code))
            if a.shape != shape:
                raise ValueError(f"model input: expected shape {shape}, got {a.shape}")
            arrs.append(a)
        out = [np.empty(s, _np(self._code)) for s, _ in outs]
        with _handle_lock(self):
            _libgru.model_forward(self._h, B, steps, arrs, out)
        return out[0] if len(out) == 1 else out

    predict = __call__

    def layers(self):
        """libgru.GRU / Bidirectional views of the model's recurrent nodes (share its weights)."""
        res = []
        for i, n in enumerate(self.nodes):
            h = _libgru.model_layer(self._h, i)
            if h is None:
                continue
            if n["class_name"] == "GRU":
                g = GRU._wrap(h, self, self._code)
            else:
                g = Bidirectional.__new__(Bidirectional)
                _Base.__init__(g, None, _np(self._code))
                g._h = h
                g.forward_layer = GRU._wrap(_libgru.bi_layer(h, 0), self, self._code)
                g.backward_layer = GRU._wrap(_libgru.bi_layer(h, 1), self, self._code)
                g.layer = g.forward_layer
            g.name = n["name"]
            res.append(g)
        return res

    def reset_states(self):
        _libgru.model_reset_states(self._h)

    def save(self, path):
        """Write the model as libgru's native .grum (docs/FORMAT-native.md)."""
        _libgru.model_save(self._h, os.fspath(path))


def load(path, dtype="float32", format=None, weights=None):
    """Load any file the C library reads: libgru .grum, Keras .h5 / .keras (model.save),
    a Keras model.to_json() file with its save_weights() .h5 (`weights=`), PyTorch
    .safetensors (nn.GRU / nn.GRUCell state_dict), ONNX .onnx. A file the C library
    refuses raises LibgruError (a ValueError) with its message."""
    path = os.fspath(path)
    if format is None:
        with open(path, "rb") as f:
            head = f.read(8)
        ext = os.path.splitext(path)[1].lower()
        if head[:4] == b"GRUM":
            format = "native"
        elif head[:8] == b"\x89HDF\r\n\x1a\n" or head[:2] == b"PK" or ext in (".h5", ".keras"):
            format = "keras"
        elif ext == ".json" or head[:1] == b"{":
            format = "keras_json"
        elif ext == ".safetensors":
            format = "torch"
        elif ext == ".onnx":
            format = "onnx"
        else:
            raise ValueError(f"{path}: cannot tell the format (give format='native', 'keras', "
                             "'keras_json', 'torch' or 'onnx')")
    if format not in ("native", "keras", "keras_json", "torch", "onnx"):
        raise ValueError(f"unknown format {format!r} (one of 'native', 'keras', 'keras_json', "
                         "'torch', 'onnx')")
    w = os.fspath(weights) if weights is not None else None
    return Model(_libgru.model_load(format, path, _code(dtype), w), path, format)


def from_keras(layer):
    """A libgru twin of a tf-keras GRUCell / GRU / RNN(GRUCell) / Bidirectional(GRU) layer
    (config and weights), or of a whole Keras model (saved to a temporary .h5 and loaded)."""
    cls = type(layer).__name__
    w = layer.get_weights()
    dt = getattr(layer, "dtype", "float32")
    dt = "float64" if "64" in str(dt) else "float32"
    if cls == "GRUCell":
        c = GRUCell.from_config(_clean(layer.get_config()))
        c._code = _code(dt)
        if w:
            c.set_weights(w)
        return c
    if cls in ("GRU", "RNN"):
        cfg = _clean(layer.get_config())
        g = GRU.from_config(cfg)
        g._code = _code(dt)
        if w:
            g.set_weights(w)
        return g
    if cls == "Bidirectional":
        fl, bl = layer.forward_layer, layer.backward_layer
        f = GRU.from_config(_clean(fl.get_config()))
        b = GRU.from_config(_clean(bl.get_config()))
        b.go_backwards = b._cfg["go_backwards"] = bool(bl.go_backwards)
        bi = Bidirectional(f, merge_mode=layer.merge_mode, backward_layer=b, dtype=dt)
        if w:
            bi.set_weights(w)
        return bi
    if hasattr(layer, "save"):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "model.h5")
            layer.save(p)
            return load(p, dtype=dt)
    raise TypeError(f"from_keras: cannot convert {cls}")


def _clean(cfg):
    cfg = dict(cfg)
    for k in ("name", "trainable", "dtype", "batch_input_shape", "batch_shape"):
        cfg.pop(k, None)
    return cfg


def _keras_gru_config(g):
    cfg = _clean(g.get_config())
    cfg["dtype"] = g.dtype
    if g.stateful and g._batch_size is not None:
        cfg["batch_size"] = int(g._batch_size)
    return cfg


def to_keras(layer):
    """The tf-keras layer (tf.compat.v1.keras.layers GRUCell / GRU, or Bidirectional of
    such GRUs) with this one's config, dtype and weights (and a stateful layer's states)."""
    import tensorflow as tf
    K = tf.compat.v1.keras.layers
    if isinstance(layer, GRUCell):
        cfg = _clean(layer.get_config())
        k = K.GRUCell.from_config(dict(cfg, dtype=layer.dtype))
        k.build((None, layer.input_dim))
    elif isinstance(layer, GRU):
        k = K.GRU.from_config(_keras_gru_config(layer))
        k.build((layer._batch_size, None, layer.input_dim))
    elif isinstance(layer, Bidirectional):
        if layer._h is None:
            raise ValueError("to_keras: build the Bidirectional layer first (call it or "
                             "set_weights)")
        f = K.GRU.from_config(_keras_gru_config(layer.forward_layer))
        b = K.GRU.from_config(_keras_gru_config(layer.backward_layer))
        k = K.Bidirectional(f, merge_mode=layer.merge_mode, backward_layer=b, dtype=layer.dtype)
        k.build((layer.layer._batch_size, None, layer.forward_layer.input_dim))
    else:
        raise TypeError(f"to_keras: cannot convert {type(layer).__name__}")
    if isinstance(layer, GRUCell) or layer.built:
        k.set_weights(layer.get_weights())
    if isinstance(layer, GRU) and layer.stateful and layer.built:
        k.reset_states(layer.states[0])
    return k


from ._fit import (fit, Dense, Sequential, History, optimizers, losses, SGD, Adam,  # noqa: E402
                   RMSprop, Adagrad, floatx, set_floatx)
