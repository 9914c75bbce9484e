#!/usr/bin/env bash
# Training-step benchmark (not a test): libgru beside TF/Keras and PyTorch,
# one thread, float32, median of 20 steps; prints a table with ratios and
# writes build/train_bench.csv.
#   bash bench/train_bench.sh [B:T:F:U ...]
set -euo pipefail
cd "$(dirname "$0")/.."
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(32:32:32:32 32:32:64:64 32:32:128:128)
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DGRU_BUILD_BENCH=ON > /dev/null
cmake --build build/release -j "$(nproc)" --target gru_train_bench > /dev/null
csv=build/train_bench.csv
echo "peer,variant,B,T,F,U,median_us" > "$csv"
OMP_NUM_THREADS=1 build/release/gru_train_bench 20 "${shapes[@]}" >> "$csv"
python3 bench/train_peers.py tf "${shapes[@]}" 2>/dev/null >> "$csv" || echo "(TF/Keras peer unavailable)"
torch_py=python3
python3 -c 'import torch' 2>/dev/null || torch_py=/usr/bin/python3
OMP_NUM_THREADS=1 $torch_py bench/train_peers.py torch "${shapes[@]}" 2>/dev/null >> "$csv" || echo "(PyTorch peer unavailable)"
python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
key = lambda r: (r["variant"], r["B"], r["T"], r["F"], r["U"])
ours = {key(r): float(r["median_us"]) for r in rows if r["peer"] == "libgru"}
print("one training step (forward + BPTT + Adam), float32, one thread, median us")
print("%-12s %-24s %12s %12s %10s" % ("variant", "B:T:F:U", "peer", "peer us", "peer/libgru"))
for r in rows:
    if r["peer"] == "libgru":
        continue
    k = key(r)
    if k in ours:
        print("%-12s %-24s %12s %12.0f %9.1fx   (libgru %.0f us)" % (
            r["variant"], ":".join(k[1:]), r["peer"], float(r["median_us"]),
            float(r["median_us"]) / ours[k], ours[k]))
PY
