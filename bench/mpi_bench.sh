#!/usr/bin/env bash
# Data-parallel training throughput over MPI (a benchmark, not a test):
# bench/mpi_train_bench.c under mpirun with 1, 2 and 4 ranks, GRU + Dense,
# float32, Adam, one global mini-batch per step split into shards. Prints
# samples/s, the speed-up over one rank, the time per step inside
# MPI_Allreduce (and a bare reduction of the same buffer, the transport's
# cost without waiting for slower ranks) and the bytes each rank sends per
# step; writes $GRU_BUILD_DIR/mpi_bench.csv. More ranks than cores are
# oversubscribed (the table says so). Each configuration runs REPEATS times and the best
# run counts (on a shared machine the others are slowed by other work).
#   bash bench/mpi_bench.sh [B:T:F:U ...]   (STEPS=10 timed steps, REPEATS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=${GRU_BUILD_DIR:-build/release}
steps=${STEPS:-10}
repeats=${REPEATS:-3}
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(64:32:16:64 64:32:16:128 16:4:16:256)
cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DGRU_BUILD_BENCH=ON > /dev/null
cmake --build "$bdir" -j "$(nproc)" --target gru_mpi_bench > /dev/null 2>&1 || true
if [ ! -x "$bdir/gru_mpi_bench" ] || ! command -v mpirun > /dev/null; then
  echo "gru_mpi_bench needs MPI: apt-get install libopenmpi-dev openmpi-bin, then rerun"
  exit 1
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
csv=$bdir/mpi_bench.csv
echo "ranks,B,T,F,U,params,bytes_per_step,step_ms,samples_per_s,allreduce_ms,bare_ms" > "$csv"
for rep in $(seq "$repeats"); do
  for np in 1 2 4; do
    # yield_when_idle: a rank waiting in MPI_Allreduce gives its core away
    # instead of spinning (Open MPI spins by default unless oversubscribed)
    mpirun --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 -np $np \
      "$bdir/gru_mpi_bench" "$steps" "${shapes[@]}" >> "$csv"
  done
done
python3 - "$csv" "$(nproc)" <<'PY'
import csv, sys
best = {}
for r in csv.DictReader(open(sys.argv[1])):
    k = (r["B"], r["T"], r["F"], r["U"], r["ranks"])
    if k not in best or float(r["samples_per_s"]) > float(best[k]["samples_per_s"]):
        best[k] = r
rows = sorted(best.values(), key=lambda r: (int(r["U"]), int(r["B"]), int(r["ranks"])))
cores = int(sys.argv[2])
base = {}
print("data-parallel training step (GRU + Dense, float32, Adam), %d cores" % cores)
print("%-14s %8s %6s %11s %8s %9s %12s %7s %8s %12s" % ("B:T:F:U", "params", "ranks",
      "samples/s", "speed-up", "step ms", "allreduce ms", "share", "bare ms", "bytes/step"))
for r in rows:
    k = (r["B"], r["T"], r["F"], r["U"])
    sps = float(r["samples_per_s"])
    if r["ranks"] == "1":
        base[k] = sps
    n = int(r["ranks"])
    step, ar = float(r["step_ms"]), float(r["allreduce_ms"])
    print("%-14s %8s %6s %11.1f %7.2fx %9.2f %12.3f %6.1f%% %8.3f %12s%s" % (
        ":".join(k), r["params"], r["ranks"], sps, sps / base[k], step, ar, 100 * ar / step,
        float(r["bare_ms"]), r["bytes_per_step"], "  (oversubscribed)" if n > cores else ""))
PY
