#!/usr/bin/env bash
# Inference benchmark (not a test): a GRU layer forward over T = 100 steps,
# float32, one thread, U in {32, 64, 128, 256, 512}, F = U, batch 1 (ns per
# step) and batch 64 / 256 (GFLOP/s), both reset_after values, in libgru and
# in the peers that are installed: oneDNN (Debian libdnnl-dev: gru, lbr_gru),
# ONNX Runtime (linear_before_reset 0 and 1), PyTorch (nn.GRU) and TF/Keras
# (tf.compat.v1.keras.layers.GRU in a tf.function). Measures the machine's
# roofline (FMA peak, L1/L2/L3/DRAM read bandwidth), prints the tables and
# writes build/bench.csv and build/bench.png. libgru also runs on two threads
# (a pool of 2, wall time) when the machine has two cores.
#   bash bench/run.sh [B:T:F:U ...]
# GRU_BENCH_RUNS: processes per fast contender, best kept (default 3);
# GRU_BENCH_BUDGET: seconds per measurement (default 0.5); GRU_BENCH_CLOCK:
# cpu (default: process CPU time, steadier on a shared machine) or wall;
# GRU_KERNEL picks libgru's kernel variant (default: the best this CPU runs).
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${GRU_BENCH_BUDGET:-0.5}
shapes=("$@")
bdir=build/bench
cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DGRU_BUILD_BENCH=ON -DGRU_BUILD_TESTS=OFF \
  -DGRU_BUILD_EXAMPLES=OFF > /dev/null
targets=(gru_bench gru_roofline)
# gru_onednn_bench exists only where CMake found Debian's libdnnl-dev.
if cmake --build "$bdir" --target help | grep gru_onednn_bench > /dev/null; then
  targets+=(gru_onednn_bench)
fi
cmake --build "$bdir" -j "$(nproc)" --target "${targets[@]}" > /dev/null
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=3
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
  echo "warning: load average $load: other processes share the CPU; timings will be noisy" >&2
fi
raw=build/bench_raw.csv
echo "peer,variant,B,T,F,U,reps,wall_ns,cpu_ns" > "$raw"
echo "== roofline" >&2
"$bdir/gru_roofline" > build/roofline.csv
# The fast contenders (libgru, oneDNN, ONNX Runtime) run in GRU_BENCH_RUNS
# separate processes (default 3), interleaved, and report.py keeps each
# shape's best median: one process can be unlucky (where its buffers land in
# memory, a neighbour on the host), which moves a batch-1 time by up to 20 %.
runs=${GRU_BENCH_RUNS:-3}
for run in $(seq "$runs"); do
  echo "== libgru (run $run of $runs)" >&2
  "$bdir/gru_bench" "$budget" "${shapes[@]}" | tee -a "$raw" >&2
  if [ "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)" -ge 2 ]; then
    echo "== libgru, two threads (gru_threadpool_create(2): wall time)" >&2
    "$bdir/gru_bench" -t 2 "$budget" "${shapes[@]}" | tee -a "$raw" >&2
  fi
  if [ -x "$bdir/gru_onednn_bench" ]; then
    echo "== oneDNN" >&2
    "$bdir/gru_onednn_bench" "$budget" "${shapes[@]}" | tee -a "$raw" >&2 || echo "(oneDNN failed)" >&2
  else
    echo "(oneDNN peer unavailable: apt-get install libdnnl-dev)" >&2
  fi
  echo "== ONNX Runtime" >&2
  python3 bench/peers.py onnxruntime "$budget" "${shapes[@]}" 2>/dev/null | tee -a "$raw" >&2 ||
    echo "(ONNX Runtime peer unavailable: pip install onnxruntime onnx)" >&2
done
# PyTorch: the default python3's (PyPI), else Debian's python3-torch, run
# against OpenBLAS when Debian's libopenblas0-pthread is there (Debian's
# torch calls the system libblas.so.3, by default the slow reference BLAS).
torch_py=python3 torch_env=()
if ! python3 -c 'import torch' 2>/dev/null; then
  torch_py=/usr/bin/python3
  ob=/usr/lib/x86_64-linux-gnu/openblas-pthread
  [ -e "$ob/libblas.so.3" ] && torch_env=(LD_LIBRARY_PATH="$ob${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
fi
echo "== PyTorch" >&2
env "${torch_env[@]}" $torch_py bench/peers.py torch "$budget" "${shapes[@]}" 2>/dev/null |
  tee -a "$raw" >&2 || echo "(PyTorch peer unavailable)" >&2
echo "== TF/Keras" >&2
python3 bench/peers.py tf "$budget" "${shapes[@]}" 2>/dev/null | tee -a "$raw" >&2 ||
  echo "(TF/Keras peer unavailable)" >&2
python3 bench/report.py "$raw" build/roofline.csv build/bench.csv build/bench.png
