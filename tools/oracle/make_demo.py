"""Write data/demo_sequence.golden: a v1 GRUCell with Keras-made weights run
over a two-channel sequence, with Keras' output at every step.

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
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(__file__), "..", "..", "data", "demo_sequence.golden"))
    args = ap.parse_args()

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


if __name__ == "__main__":
    main()
