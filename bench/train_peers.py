"""Peers for bench/train_bench.c: the time of one training step of a GRU
(forward over T steps, MSE loss on the last output, backward, Adam update)
in TF/Keras (tf.compat.v1.keras.layers.GRU in a tf.function) and PyTorch
(nn.GRU), one thread, same shapes. Prints one CSV line per measurement:

    peer,variant,B,T,F,U,median_us

Usage: python3 bench/train_peers.py tf|torch SHAPES...   (SHAPE = B:T:F:U)
PyTorch may come from PyPI or Debian's python3-torch (/usr/bin/python3).
"""
import os
import statistics
import sys
import time

REPS = int(os.environ.get("GRU_BENCH_REPS", "20"))


def timeit(step, reps=REPS):
    step()  # warm-up (tracing, allocation)
    step()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e6


def bench_tf(shapes):
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    for (B, T, F, U) in shapes:
        for variant in ("v1", "reset_after"):
            kw = {} if variant == "v1" else dict(reset_after=True, recurrent_activation="sigmoid")
            layer = tf.compat.v1.keras.layers.GRU(U, **kw)
            layer.build((B, T, F))
            opt = __import__("tf_keras").optimizers.Adam(1e-3)
            x = tf.constant(np.random.RandomState(0).randn(B, T, F).astype("float32"))
            y = tf.constant(np.random.RandomState(1).randn(B, U).astype("float32"))

            @tf.function
            def step():
                with tf.GradientTape() as tape:
                    out = layer(x, training=True)
                    loss = tf.reduce_mean(tf.square(out - y))
                grads = tape.gradient(loss, layer.trainable_variables)
                opt.apply_gradients(zip(grads, layer.trainable_variables))
                return loss

            us = timeit(lambda: step().numpy())
            print("tf-keras,%s,%d,%d,%d,%d,%.1f" % (variant, B, T, F, U, us), flush=True)


def bench_torch(shapes):
    import torch
    torch.set_num_threads(1)
    for (B, T, F, U) in shapes:
        gru = torch.nn.GRU(F, U, batch_first=True)  # reset_after=True semantics
        opt = torch.optim.Adam(gru.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(0)
        x = torch.randn(B, T, F, generator=g)
        y = torch.randn(B, U, generator=g)

        def step():
            opt.zero_grad()
            out, _ = gru(x)
            loss = ((out[:, -1, :] - y) ** 2).mean()
            loss.backward()
            opt.step()

        us = timeit(step)
        print("torch-%s,reset_after,%d,%d,%d,%d,%.1f" % (torch.__version__, B, T, F, U, us), flush=True)


def main():
    which = sys.argv[1]
    shapes = [tuple(int(v) for v in s.split(":")) for s in sys.argv[2:]]
    {"tf": bench_tf, "torch": bench_torch}[which](shapes)


if __name__ == "__main__":
    main()
