"""A small fit loop over numpy data (mean squared error on the layer's output).

NOTE: the update here is a numpy SGD/Adam following tf-keras' formulas; the C
optimizers (gru_optimizer_*) are not bound yet.
"""
import sys

import numpy as np


def fit(layer, x, y, epochs=1, batch_size=32, optimizer="adam", learning_rate=None,
        shuffle=True, seed=0, verbose=1):
    """Train `layer` (GRU or Bidirectional) so that layer(x) ~ y under MSE.
    Returns {'loss': [per-epoch loss]} (Keras' History.history shape)."""
    x = np.asarray(x)
    y = np.asarray(y)
    lr = learning_rate or (0.01 if optimizer == "sgd" else 0.001)
    rng = np.random.default_rng(seed)
    w = layer.get_weights() if layer.built else None
    n = x.shape[0]
    m = v = None
    t = 0
    hist = []
    for ep in range(epochs):
        idx = rng.permutation(n) if shuffle else np.arange(n)
        tot = 0.0
        nb = (n + batch_size - 1) // batch_size
        for b in range(nb):
            sl = idx[b * batch_size:(b + 1) * batch_size]
            out, tape = layer.forward_train(x[sl], training=True)
            out = out[0] if isinstance(out, list) else out
            diff = out - y[sl].astype(out.dtype)
            loss = float(np.mean(diff * diff))
            g = layer.backward(tape, 2.0 * diff / diff.size)["weights"]
            w = layer.get_weights()
            t += 1
            if optimizer == "sgd":
                w = [wi - lr * gi for wi, gi in zip(w, g)]
            else:
                if m is None:
                    m = [np.zeros_like(gi) for gi in g]
                    v = [np.zeros_like(gi) for gi in g]
                a = lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
                for i, gi in enumerate(g):
                    m[i] += (gi - m[i]) * 0.1
                    v[i] += (gi * gi - v[i]) * 0.001
                    w[i] = w[i] - m[i] * a / (np.sqrt(v[i]) + 1e-7)
            layer.set_weights(w)
            tot += loss * len(sl)
            if verbose == 1:
                done = int(30 * (b + 1) / nb)
                sys.stdout.write(f"\r{b + 1}/{nb} [{'=' * done}{'.' * (30 - done)}] "
                                 f"- loss: {tot / min(n, (b + 1) * batch_size):.4f}")
                sys.stdout.flush()
        hist.append(tot / n)
        if verbose:
            sys.stdout.write(("\n" if verbose == 1 else "") +
                             f"Epoch {ep + 1}/{epochs} - loss: {hist[-1]:.4f}\n")
    return {"loss": hist}
