"""Peers for bench/gru_bench.c (benchmark, not a test): a one-layer GRU
forward (inference) over T steps, float32, one thread, same shapes, in

  torch        torch.nn.GRU (batch_first) under torch.inference_mode(); the
               reset_after formulation only (PyTorch has no other). PyPI or
               Debian's python3-torch (/usr/bin/python3).
  onnxruntime  an ONNX GRU node (opset 14, built with onnx.helper), output
               Y_h only, linear_before_reset 0 (v1 formulation) and 1
               (reset_after); intra/inter_op_num_threads = 1.
  tf           tf.compat.v1.keras.layers.GRU (TF_USE_LEGACY_KERAS=1) called
               with training=False inside a tf.function; v1 defaults
               (reset_after=False, hard_sigmoid) and reset_after=True with
               sigmoid; TF intra/inter-op threads = 1.

Each measurement: two warm-up calls, then calls until the time budget is
spent (at least 3, at most 51; one when a warm-up call alone took longer
than the budget); the medians of the wall time and of the process CPU time
per call, divided by T. One CSV line per measurement, as gru_bench:

    peer,variant,B,T,F,U,reps,wall_ns,cpu_ns

Usage: python3 bench/peers.py torch|onnxruntime|tf BUDGET_S [B:T:F:U ...]
"""
import os
import statistics
import sys
import time

MIN_REPS, MAX_REPS = 3, 51
DEFAULT_SHAPES = ["%d:100:%d:%d" % (b, u, u) for b in (1, 64, 256) for u in (32, 64, 128, 256, 512)]


def measure(call, budget):
    t0 = time.perf_counter()
    call()
    first = time.perf_counter() - t0
    call()
    min_reps = 1 if first > budget else MIN_REPS
    ts, cs = [], []
    start = time.perf_counter()
    while len(ts) < MAX_REPS and (len(ts) < min_reps or time.perf_counter() - start < budget):
        t0, c0 = time.perf_counter(), time.process_time()
        call()
        cs.append(time.process_time() - c0)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), statistics.median(cs), len(ts)


def emit(peer, variant, shape, timing):
    B, T, F, U = shape
    wall, cpu, reps = timing
    print("%s,%s,%d,%d,%d,%d,%d,%.1f,%.1f" % (peer, variant, B, T, F, U, reps, wall * 1e9 / T,
                                              cpu * 1e9 / T), flush=True)


def bench_torch(shapes, budget):
    import torch
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    peer = "torch-" + torch.__version__.split("+")[0]
    torch.randn(64, 64) @ torch.randn(64, 64)  # load the BLAS, then name it
    maps = open("/proc/self/maps").read() if os.path.exists("/proc/self/maps") else ""
    for lib, name in (("openblas", "openblas"), ("mkl", "mkl"), ("/blas/libblas", "refblas")):
        if lib in maps:
            peer += "+" + name
            break
    for (B, T, F, U) in shapes:
        g = torch.Generator().manual_seed(0)
        gru = torch.nn.GRU(F, U, batch_first=True).eval()
        x = torch.randn(B, T, F, generator=g)

        def call():
            with torch.inference_mode():
                return gru(x)[1]

        emit(peer, "reset_after", (B, T, F, U), measure(call, budget))


def bench_onnxruntime(shapes, budget):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    rs = np.random.RandomState(0)
    for (B, T, F, U) in shapes:
        x = rs.randn(T, B, F).astype(np.float32)  # layout 0: (seq, batch, feature)
        for lbr in (0, 1):
            s = 1.0 / np.sqrt(U)
            W = numpy_helper.from_array(rs.uniform(-s, s, (1, 3 * U, F)).astype(np.float32), "W")
            R = numpy_helper.from_array(rs.uniform(-s, s, (1, 3 * U, U)).astype(np.float32), "R")
            Bi = numpy_helper.from_array(rs.uniform(-s, s, (1, 6 * U)).astype(np.float32), "B")
            node = helper.make_node("GRU", ["X", "W", "R", "B"], ["", "Y_h"], hidden_size=U,
                                    linear_before_reset=lbr)
            graph = helper.make_graph(
                [node], "gru", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, F])],
                [helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, B, U])],
                initializer=[W, R, Bi])
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
            model.ir_version = 8
            onnx.checker.check_model(model)
            sess = ort.InferenceSession(model.SerializeToString(), so,
                                        providers=["CPUExecutionProvider"])
            emit("onnxruntime-%s/lbr%d" % (ort.__version__, lbr), "reset_after" if lbr else "v1",
                 (B, T, F, U), measure(lambda: sess.run(None, {"X": x}), budget))


def bench_tf(shapes, budget):
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    peer = "tf-keras-" + tf.__version__
    for (B, T, F, U) in shapes:
        x = tf.constant(np.random.RandomState(0).randn(B, T, F).astype("float32"))
        for variant in ("v1", "reset_after"):
            kw = {} if variant == "v1" else dict(reset_after=True, recurrent_activation="sigmoid")
            layer = tf.compat.v1.keras.layers.GRU(U, **kw)
            layer.build((B, T, F))

            @tf.function
            def fwd():
                return layer(x, training=False)

            emit(peer, variant, (B, T, F, U), measure(lambda: fwd().numpy(), budget))


def main():
    which, budget = sys.argv[1], float(sys.argv[2])
    shapes = [tuple(int(v) for v in s.split(":")) for s in (sys.argv[3:] or DEFAULT_SHAPES)]
    {"torch": bench_torch, "onnxruntime": bench_onnxruntime, "tf": bench_tf}[which](shapes, budget)


if __name__ == "__main__":
    main()
