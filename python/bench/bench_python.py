#!/usr/bin/env python3
"""Benchmark (not a test): libgru.GRU against tf.compat.v1.keras.layers.GRU and
torch.nn.GRU, all called from Python, and the import times.

    TF_USE_LEGACY_KERAS=1 python3 python/bench/bench_python.py [--reps N] [--quick]

GRU(128) over T = 100 steps of F = 128 features, float32, inference at batch 1
and 64, plus one training step (forward, backward of sum(y * dy), no optimizer)
at batch 64. One thread everywhere (TF intra/inter-op 1, torch.set_num_threads(1);
libgru has no pool attached; a second table gives libgru's inference with
libgru.set_num_threads(2)). libgru runs the Keras v1 configuration
(reset_after=False, hard_sigmoid) against Keras, and reset_after=True with sigmoid
(PyTorch's GRU) against torch. Keras is timed both as an eager call, layer(x),
and inside a tf.function. Times: medians of wall time per call. When this
interpreter has no torch, torch runs in a subprocess with another interpreter
that has it (Debian's /usr/bin/python3 with python3-torch); its numbers are then
from that interpreter, which is said in the output.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

U = F = 128
T = 100


def median_time(fn, reps, warm=2):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def bench_libgru(reps):
    import numpy as np
    import libgru
    res = {}
    rng = np.random.default_rng(0)
    for tag, kw in (("v1", {}), ("ra", dict(reset_after=True, recurrent_activation="sigmoid"))):
        g = libgru.GRU(U, return_sequences=True, **kw)
        for B in (1, 64):
            x = rng.normal(size=(B, T, F)).astype("float32")
            res[f"{tag}_infer_{B}"] = median_time(lambda: g(x), reps)
            libgru.set_num_threads(2)          # the same call on a pool of 2 threads
            res[f"{tag}_infer_{B}_t2"] = median_time(lambda: g(x), reps)
            libgru.set_num_threads(1)
        x = rng.normal(size=(64, T, F)).astype("float32")
        dy = np.ones((64, T, U), "float32")

        def step():
            y, tape = g.forward_train(x, training=True)
            g.backward(tape, dy)
        res[f"{tag}_train_64"] = median_time(step, max(3, reps // 2))
    return res


def bench_keras(reps):
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    rng = np.random.default_rng(0)
    g = tf.compat.v1.keras.layers.GRU(U, return_sequences=True)
    res = {}
    fn = tf.function(lambda x: g(x))
    for B in (1, 64):
        x = tf.constant(rng.normal(size=(B, T, F)).astype("float32"))
        res[f"eager_infer_{B}"] = median_time(lambda: g(x), max(3, reps // 4))
        res[f"fn_infer_{B}"] = median_time(lambda: fn(x), reps)
    x = tf.constant(rng.normal(size=(64, T, F)).astype("float32"))

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = g(x, training=True)
            loss = tf.reduce_sum(y)
        return tape.gradient(loss, [x] + g.trainable_weights)
    res["fn_train_64"] = median_time(lambda: step(x), max(3, reps // 2))
    return res


TORCH_SCRIPT = r"""
import json, statistics, sys, time
import torch
torch.set_num_threads(1)
U = F = 128; T = 100; reps = int(sys.argv[1])
def median_time(fn, reps, warm=2):
    for _ in range(warm): fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
g = torch.nn.GRU(F, U, batch_first=True)
res = {}
with torch.no_grad():
    for B in (1, 64):
        x = torch.randn(B, T, F)
        res[f"infer_{B}"] = median_time(lambda: g(x), reps)
x = torch.randn(64, T, F, requires_grad=True)
def step():
    g.zero_grad(); x.grad = None
    y, _ = g(x); y.sum().backward()
res["train_64"] = median_time(step, max(3, reps // 2))
res["version"] = torch.__version__
print(json.dumps(res))
"""


def torch_python():
    try:
        import torch  # noqa: F401
        return sys.executable
    except ImportError:
        pass
    for py in ("/usr/bin/python3", "python3"):
        try:
            if subprocess.run([py, "-c", "import torch"], capture_output=True).returncode == 0:
                return py
        except OSError:
            pass
    return None


OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread"


def torch_env():
    """Debian's torch calls the system libblas.so.3; when the alternative points at the
    reference BLAS, OpenBLAS is put first for torch's process only (system unchanged)."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if os.path.exists(os.path.join(OPENBLAS, "libblas.so.3")):
        env["LD_LIBRARY_PATH"] = OPENBLAS + ":" + env.get("LD_LIBRARY_PATH", "")
    return env


def bench_torch(reps, py):
    out = subprocess.run([py, "-c", TORCH_SCRIPT, str(reps)], capture_output=True, text=True,
                         check=True, env=torch_env()).stdout
    return json.loads(out.strip().splitlines()[-1])


def import_time(py, module, n):
    ts = []
    for _ in range(n):
        out = subprocess.run([py, "-c", f"import time; t=time.perf_counter(); import {module}; "
                              "print(time.perf_counter()-t)"], capture_output=True, text=True,
                             env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        if out.returncode != 0:
            return None
        ts.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--imports", type=int, default=5)
    a = ap.parse_args()
    tpy = torch_python()
    lib = bench_libgru(a.reps)
    ker = bench_keras(a.reps)
    tor = bench_torch(a.reps, tpy) if tpy else None
    ms = lambda s: f"{s * 1e3:.2f}"  # noqa: E731
    print(f"\nGRU(U={U}) over T={T}, F={F}, float32, one thread; median ms per call; "
          "ratio = peer / libgru (above 1: libgru faster)")
    if tpy and tpy != sys.executable:
        print(f"torch {tor['version']} ran in a subprocess under {tpy} "
              f"(not importable by {sys.executable})")
    if tpy and "LD_LIBRARY_PATH" in torch_env():
        print(f"torch's BLAS: OpenBLAS from {OPENBLAS} (one thread)")
    print("| case | libgru | Keras eager | Keras tf.function | torch | Keras eager / libgru | "
          "Keras fn / libgru | torch / libgru |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = [("inference B=1", "infer_1"), ("inference B=64", "infer_64"),
            ("train step B=64", "train_64")]
    for name, k in rows:
        v1, ra = lib[f"v1_{k}"], lib[f"ra_{k}"]
        ke = ker.get(f"eager_{k}")
        kf = ker[f"fn_{k}"]
        tt = tor[k] if tor else None
        print(f"| {name} | {ms(v1)} (v1) / {ms(ra)} (reset_after) | "
              f"{ms(ke) if ke else '–'} | {ms(kf)} | {ms(tt) if tt else '–'} | "
              f"{f'{ke / v1:.1f}×' if ke else '–'} | {kf / v1:.1f}× | "
              f"{f'{tt / ra:.1f}×' if tt else '–'} |")
    print("\nlibgru with libgru.set_num_threads(2) (bitwise the same outputs):")
    print("| case | 1 thread | 2 threads | speed-up |\n|---|---:|---:|---:|")
    for tag in ("v1", "ra"):
        for B in (1, 64):
            t1, t2 = lib[f"{tag}_infer_{B}"], lib[f"{tag}_infer_{B}_t2"]
            print(f"| inference B={B} ({tag}) | {ms(t1)} | {ms(t2)} | {t1 / t2:.2f}× |")
    il = import_time(sys.executable, "libgru", a.imports)
    it = import_time(sys.executable, "tensorflow", a.imports)
    ito = import_time(tpy, "torch", a.imports) if tpy else None
    print(f"\nimport time, median of {a.imports} fresh interpreters:")
    print(f"| import libgru | import tensorflow | import torch | tensorflow / libgru | "
          f"torch / libgru |\n|---:|---:|---:|---:|---:|")
    print(f"| {ms(il)} ms | {ms(it)} ms | {ms(ito) + ' ms' if ito else '–'} | {it / il:.0f}× | "
          f"{f'{ito / il:.0f}×' if ito else '–'} |")


if __name__ == "__main__":
    main()
