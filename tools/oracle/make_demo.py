"""Write the demo's data, made by real Keras (tf-keras 2.21):

data/demo_sequence.golden: a v1 GRUCell with Keras-made weights run over a
two-channel sequence, with Keras' output at every step.

data/demo_bidirectional.golden: Bidirectional(GRU(return_sequences=True)),
merge concat, over a padded batch of three sequences of different lengths
with a mask (as a Masking layer or Embedding(mask_zero) would give it).

The weights come from Keras' own initializers (seeded), the sequence is a
chirp (sine and cosine of a rising frequency plus a slow ramp), and the
outputs are what tf-keras 2.21's tf.compat.v1.keras.layers.GRUCell returns.
examples/demo.c runs libgru on the same weights and sequence and prints both.

    python3 tools/oracle/make_demo.py [--out data/demo_sequence.golden]
"""
import argparse
import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from goldenio import Golden  # noqa: E402

T, F, U = 60, 2, 8


def main():
    ap = argparse.ArgumentParser()
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data")
    ap.add_argument("--out", default=os.path.join(data, "demo_sequence.golden"))
    ap.add_argument("--out-bidirectional", default=os.path.join(data, "demo_bidirectional.golden"))
    args = ap.parse_args()
    bidirectional_demo(args.out_bidirectional)

    Cell = tf.compat.v1.keras.layers.GRUCell
    assert Cell.__module__.startswith("tf_keras"), Cell.__module__
    import tf_keras
    cell = Cell(
        U,
        kernel_initializer=tf_keras.initializers.GlorotUniform(seed=1),
        recurrent_initializer=tf_keras.initializers.Orthogonal(seed=2),
        bias_initializer=tf_keras.initializers.RandomUniform(-0.3, 0.3, seed=3),
    )  # v1 defaults otherwise: tanh, hard_sigmoid, reset_after=False, impl 1
    cell.build((1, F))

    t = np.arange(T, dtype=np.float64)
    phase = 2 * np.pi * (0.02 * t + 0.0015 * t * t)
    x = np.stack([np.sin(phase) + 0.01 * t, np.cos(phase)], axis=-1)
    x = x.astype(np.float32).reshape(T, 1, F)

    h = tf.zeros((1, U), dtype=tf.float32)
    outs = []
    for i in range(T):
        o, [h] = cell(tf.constant(x[i]), [h], training=False)
        outs.append(o.numpy())
    k, r, b = cell.get_weights()

    g = Golden()
    g.add_meta("kind", "demo")
    g.add_meta("dtype", "f32")
    g.add_meta("units", U)
    g.add_meta("input_dim", F)
    g.add_meta("steps", T)
    g.add_meta("keras", "tf-keras-" + tf_keras.__version__)
    g.add_array("kernel", k, "f32")
    g.add_array("recurrent_kernel", r, "f32")
    g.add_array("bias", b, "f32")
    g.add_array("x", x, "f32")
    g.add_array("h", np.stack(outs), "f32")
    g.write(args.out)
    print("wrote", args.out)


def bidirectional_demo(path):
    import tf_keras
    B, T, F, U = 3, 7, 2, 4
    lengths = [7, 4, 2]
    GRU = tf.compat.v1.keras.layers.GRU
    assert GRU.__module__.startswith("tf_keras"), GRU.__module__
    fwd = GRU(U, return_sequences=True,
              kernel_initializer=tf_keras.initializers.GlorotUniform(seed=11),
              recurrent_initializer=tf_keras.initializers.Orthogonal(seed=12),
              bias_initializer=tf_keras.initializers.RandomUniform(-0.3, 0.3, seed=13))
    bi = tf_keras.layers.Bidirectional(fwd, merge_mode="concat")
    t = np.arange(T, dtype=np.float64)
    x = np.zeros((B, T, F), np.float32)
    for b, n in enumerate(lengths):
        x[b, :n, 0] = np.sin(0.9 * t[:n] + b)
        x[b, :n, 1] = np.cos(0.5 * t[:n] * (b + 1))
    mask = np.arange(T)[None, :] < np.array(lengths)[:, None]
    bi.build((B, T, F))
    # The backward copy gets its own Keras-initialised weights (seeded above,
    # so both directions start equal): give it distinct ones, also Keras-made.
    bwd_init = [tf_keras.initializers.GlorotUniform(seed=21)((F, 3 * U)).numpy(),
                tf_keras.initializers.Orthogonal(seed=22)((U, 3 * U)).numpy(),
                tf_keras.initializers.RandomUniform(-0.3, 0.3, seed=23)((3 * U,)).numpy()]
    bi.backward_layer.set_weights(bwd_init)
    out = bi(tf.constant(x), mask=tf.constant(mask), training=False).numpy()
    kf, rf, bf = bi.forward_layer.get_weights()
    kb, rb, bb = bi.backward_layer.get_weights()
    g = Golden()
    g.add_meta("kind", "demo_bidirectional")
    g.add_meta("dtype", "f32")
    g.add_meta("units", U)
    g.add_meta("input_dim", F)
    g.add_meta("batch", B)
    g.add_meta("steps", T)
    g.add_meta("merge_mode", "concat")
    g.add_meta("keras", "tf-keras-" + tf_keras.__version__)
    for name, a in (("kernel", kf), ("recurrent_kernel", rf), ("bias", bf),
                    ("kernel_b", kb), ("recurrent_kernel_b", rb), ("bias_b", bb),
                    ("x", x), ("mask", mask.astype(np.float64)), ("out", out)):
        g.add_array(name, a, "f64" if name == "mask" else "f32")
    g.write(path)
    print("wrote", path)


if __name__ == "__main__":
    main()
