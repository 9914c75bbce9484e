#!/usr/bin/env bash
# Build libgru and run every test, as CI does (.ci/run calls this script).
#  1. installs what it needs (cmake/gcc from Debian if missing; tf-keras 2.21
#     and tensorflow-cpu 2.21 from PyPI, the oracle),
#  2. regenerates all goldens with real Keras into build/golden-full and checks
#     that the committed subset (tests/golden) still agrees with Keras,
#  3. builds with -Werror and runs the suite, then builds with
#     AddressSanitizer + UndefinedBehaviorSanitizer and runs it again.
# GRU_NO_ORACLE=1 skips 1-2 for the Python part and tests the committed
# subset only (for machines without PyPI access); CI never sets it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
# optional io/ dependencies (Keras .h5 / .keras / JSON readers)
if command -v dpkg >/dev/null; then
  for p in libhdf5-dev libzip-dev libcjson-dev pkg-config libprotobuf-c-dev protobuf-c-compiler \
           libopenmpi-dev openmpi-bin; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  apt-get update -qq && apt-get install -y -qq "${need[@]}"
fi

golden_dir="$root/tests/golden"
if [ "${GRU_NO_ORACLE:-0}" != 1 ]; then
  py=${PYTHON:-python3}
  if ! "$py" -c 'import tf_keras, tensorflow as tf; assert tf.__version__.startswith("2.21"); assert tf_keras.__version__.startswith("2.21")' 2>/dev/null; then
    echo "== installing the oracle (tensorflow-cpu 2.21, tf-keras 2.21)"
    "$py" -m pip install -q -r tools/oracle/requirements.txt
  fi
  echo "== regenerating goldens with Keras"
  rm -rf build/golden-full build/golden-subset
  mkdir -p build
  for set in full subset; do
    flag=; [ $set = subset ] && flag=--subset
    if ! "$py" tools/oracle/make_goldens.py --out build/golden-$set $flag > build/oracle-$set.log 2>&1; then
      cat build/oracle-$set.log; echo "the oracle failed"; exit 1
    fi
  done
  grep -E '^(tensorflow|cell design|wrote|  [a-z]+ +[0-9]+ cases)' build/oracle-full.log || true
  "$py" tools/oracle/compare_goldens.py build/golden-subset tests/golden
  echo "== writing Keras files (tf-keras 2.21 and Keras 3) for the keras_files tests"
  if ! "$py" tools/oracle/keras_files.py --out build/golden-full ${GRU_KERAS3_PYTHON:+--keras3-python "$GRU_KERAS3_PYTHON"} > build/oracle-keras.log 2>&1; then
    cat build/oracle-keras.log; echo "the Keras file oracle failed"; exit 1
  fi
  grep -E '^(tf-keras|keras) ' build/oracle-keras.log || true
  # PyTorch (Debian's python3-torch) and ONNX (pip onnx + onnxruntime) files
  # for the torch_onnx tests; a missing framework falls back to the committed
  # cases in tests/golden/files, with a message.
  echo "== writing PyTorch / ONNX files for the torch_onnx tests"
  fdir=build/golden-full/files; gdir=tests/golden/files
  rm -rf "$fdir"; mkdir -p "$fdir"
  tpy=${GRU_TORCH_PYTHON:-/usr/bin/python3}
  if "$tpy" -c 'import torch, numpy' 2>/dev/null; then
    "$tpy" tools/oracle/torch_files.py --part torch --out "$fdir" > build/oracle-torch.log 2>&1 ||
      { cat build/oracle-torch.log; echo "the PyTorch file oracle failed"; exit 1; }
    grep -E '^torch ' build/oracle-torch.log || true
  else
    echo "   skipped: no PyTorch in $tpy (apt-get install python3-torch); using the committed torch cases"
    cp "$gdir"/cases-torch.txt "$gdir"/t_* "$gdir"/x_* "$fdir"/
  fi
  if "$py" -c 'import onnx, onnxruntime' 2>/dev/null || "$py" -m pip install -q onnx onnxruntime; then
    "$py" tools/oracle/torch_files.py --part onnx --out "$fdir" > build/oracle-onnx.log 2>&1 ||
      { cat build/oracle-onnx.log; echo "the ONNX file oracle failed"; exit 1; }
    grep -E '^onnx ' build/oracle-onnx.log || true
  else
    echo "   skipped: onnx/onnxruntime unavailable; using the committed ONNX cases"
    cp "$gdir"/cases-onnx.txt "$gdir"/o_* "$gdir"/bad_* "$fdir"/
  fi
  golden_dir="$root/build/golden-full"
else
  echo "== GRU_NO_ORACLE=1: testing against the committed golden subset only"
fi

run_suite() { # name, build dir, extra cmake args...
  local name=$1 dir=$2
  shift 2
  echo "== build ($name)"
  cmake -S . -B "$dir" -DGRU_WERROR=ON "$@" > "$dir.cmake.log" 2>&1 || { cat "$dir.cmake.log"; exit 1; }
  cmake --build "$dir" -j "$jobs" > "$dir.build.log" 2>&1 || { cat "$dir.build.log"; exit 1; }
  echo "== test ($name)"
  local out
  set +e
  out=$(GRU_GOLDEN_DIR="$golden_dir" "$dir/gru_tests" 2>&1)
  local rc=$?
  set -e
  printf '%s\n' "$out" | grep -v '^ok ' | tail -n 40
  summary=$(printf '%s\n' "$out" | tail -n 1)
  passed=$((passed + $(echo "$summary" | awk '{print $1}')))
  failed=$((failed + $(echo "$summary" | awk '{print $3}')))
  [ $rc -eq 0 ] || status=1
}

# Rerun the goldens, the variant comparisons and the zero-allocation tests
# under every kernel variant the build has and this CPU runs (GRU_KERNEL).
run_variants() { # build dir, runner prefix (e.g. qemu-aarch64 -L ...)
  local dir=$1 pre=${2:-} variants v out rc
  variants=$($pre "$dir/gru_tests" kernels_variants | sed -n 's/^kernel variants: //p')
  echo "== kernel variants ($dir): $variants"
  for v in $variants; do
    set +e
    out=$(GRU_KERNEL=$v GRU_GOLDEN_DIR="$golden_dir" $pre "$dir/gru_tests" golden alloc kernels 2>&1)
    rc=$?
    set -e
    printf '%s\n' "$out" | grep -E '^FAIL' | grep -v 'golden/train: no golden files' | tail -n 20 || true
    echo "   $v: $(printf '%s\n' "$out" | tail -n 1)"
    # a variant fails on its own failures, not on ones the default run reports
    if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -E '^FAIL' | grep -vq 'golden/train: no golden files'; then
      status=1
    fi
  done
}

passed=0 failed=0 status=0
mkdir -p build
run_suite release build/release -DCMAKE_BUILD_TYPE=Release
run_variants build/release

# Data-parallel training over MPI (mpi/): the MPI test program under mpirun
# with 2 and 3 ranks (3: uneven and empty shards); skipped without Open MPI.
if command -v mpirun >/dev/null && [ -x build/release/gru_mpi_tests ]; then
  for np in 2 3; do
    set +e
    out=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 300 \
          mpirun --oversubscribe -np $np build/release/gru_mpi_tests 2>&1)
    rc=$?
    set -e
    printf '%s\n' "$out" | grep -E '^(FAIL|mpi:)' | tail -n 20 || true
    summary=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1 || true)
    echo "== mpi tests (mpirun -np $np): ${summary:-no summary line (rc $rc)}"
    if [ -n "$summary" ]; then
      passed=$((passed + $(echo "$summary" | awk '{print $1}')))
      failed=$((failed + $(echo "$summary" | awk '{print $3}')))
    else
      failed=$((failed + 1))
    fi
    [ $rc -eq 0 ] || status=1
  done
else
  echo "== mpi tests skipped: no mpirun or no build/release/gru_mpi_tests (apt-get install libopenmpi-dev openmpi-bin)"
fi

# AArch64: cross-compile with Debian's gcc-aarch64-linux-gnu and run the
# suite under qemu-user (the neon variant). Skipped when either is missing.
if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
  echo "== build (aarch64 cross, neon)"
  adir=build/aarch64
  cmake -S . -B "$adir" -DGRU_WERROR=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_SYSTEM_NAME=Linux \
    -DCMAKE_SYSTEM_PROCESSOR=aarch64 -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc \
    -DCMAKE_FIND_ROOT_PATH=/usr/aarch64-linux-gnu -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY \
    -DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY \
    -DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER -DGRU_WITH_HDF5=OFF -DGRU_WITH_ZIP=OFF \
    -DGRU_WITH_JSON=OFF -DGRU_WITH_MPI=OFF -DGRU_BUILD_EXAMPLES=OFF -DGRU_BUILD_BENCH=OFF \
    > "$adir.cmake.log" 2>&1 || { cat "$adir.cmake.log"; exit 1; }
  cmake --build "$adir" -j "$jobs" > "$adir.build.log" 2>&1 || { cat "$adir.build.log"; exit 1; }
  echo "== test (aarch64 under qemu-user, default variant)"
  set +e
  out=$(GRU_GOLDEN_DIR="$golden_dir" qemu-aarch64 -L /usr/aarch64-linux-gnu "$adir/gru_tests" 2>&1)
  rc=$?
  set -e
  printf '%s\n' "$out" | grep -E '^FAIL' | tail -n 40 || true
  echo "   $(printf '%s\n' "$out" | tail -n 1)"
  [ $rc -eq 0 ] || status=1
  run_variants "$adir" "qemu-aarch64 -L /usr/aarch64-linux-gnu"
else
  echo "== aarch64 cross build skipped: needs gcc-aarch64-linux-gnu and qemu-user (apt-get install gcc-aarch64-linux-gnu qemu-user)"
fi
run_suite asan+ubsan build/asan -DCMAKE_BUILD_TYPE=Debug -DGRU_SANITIZE=ON
echo "== python binding (pip install ./python; pytest python/tests vs Keras)"
if [ "${GRU_NO_ORACLE:-0}" != 1 ]; then
  py=${PYTHON:-python3}
  set +e
  "$py" -m pip install -q hypothesis pytest > build/python-install.log 2>&1 &&
    "$py" -m pip install -q ./python >> build/python-install.log 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    tail -n 30 build/python-install.log; echo "installing the Python binding failed"; status=1
  else
    pyout=$(cd build && TF_USE_LEGACY_KERAS=1 "$py" -m pytest -q -p no:cacheprovider -W ignore "$root/python/tests" 2>&1)
    rc=$?
    printf '%s\n' "$pyout" | grep -E '^(FAILED|ERROR)' | tail -n 20
    pysum=$(printf '%s\n' "$pyout" | tail -n 1)
    echo "   pytest: $pysum"
    pp=$(printf '%s\n' "$pysum" | grep -oE '[0-9]+ passed' | awk '{print $1}')
    pf=$(printf '%s\n' "$pysum" | grep -oE '[0-9]+ (failed|error|errors)' | awk '{s+=$1} END {print s+0}')
    passed=$((passed + ${pp:-0}))
    failed=$((failed + ${pf:-0}))
    # exit code 5 (no tests collected) counts as a failure too
    if [ $rc -ne 0 ]; then status=1; [ "${pf:-0}" -eq 0 ] && failed=$((failed + 1)); fi
  fi
  set -e
else
  echo "   skipped (GRU_NO_ORACLE=1: no Keras)"
fi
echo "== exported symbols"
bad=$(nm -g --defined-only build/release/libgru.a 2>/dev/null | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^gru_' || true)
if [ -n "$bad" ]; then echo "symbols without the gru_ prefix:"; echo "$bad"; status=1; else echo "all exported symbols start with gru_"; fi
echo "== demo"
build/release/gru_demo | tail -n 2
echo "== cli (gru info/run/convert, exit codes)"
bash tests/cli_test.sh build/release/gru | tail -n 12 || { echo "the gru command failed its checks"; status=1; }
echo "== fuzz (native model reader 30 s, the other readers 10 s each)"
if command -v clang >/dev/null && printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }\n' |
   clang -x c -fsanitize=fuzzer - -o build/fuzz-probe >/dev/null 2>&1; then
  fz=build/fuzz
  if cmake -S . -B $fz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRU_BUILD_FUZZ=ON \
       -DGRU_BUILD_TESTS=OFF -DGRU_BUILD_EXAMPLES=OFF -DGRU_BUILD_BENCH=OFF -DGRU_BUILD_CLI=OFF > $fz.cmake.log 2>&1 &&
     cmake --build $fz -j "$jobs" --target fuzz_native fuzz_make_corpus > $fz.build.log 2>&1; then
    rm -rf $fz/corpus && mkdir -p $fz/corpus && $fz/fuzz_make_corpus $fz/corpus && cp data/models/*.grum $fz/corpus/
    if $fz/fuzz_native -max_total_time=30 -max_len=4096 -timeout=10 -print_final_stats=1 $fz/corpus > $fz/fuzz.log 2>&1; then
      grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' $fz/fuzz.log || tail -n 2 $fz/fuzz.log
    else
      tail -n 40 $fz/fuzz.log; echo "the fuzzer found a crash (reproducer: $fz/crash-*)"; status=1
    fi
    # the other readers, 10 s each, seeded from the goldens' files when present
    for t in fuzz_npy fuzz_keras_json fuzz_safetensors fuzz_onnx; do
      if cmake --build $fz -j "$jobs" --target $t > $fz.$t.log 2>&1; then
        mkdir -p $fz/corpus-$t
        case $t in
          fuzz_keras_json) find "$golden_dir/keras/data" -name '*.json' -exec cp {} $fz/corpus-$t/ \; 2>/dev/null || true ;;
          fuzz_safetensors) find "$golden_dir/files" tests/golden/files -name '*.safetensors' -exec cp {} $fz/corpus-$t/ \; 2>/dev/null || true ;;
          fuzz_onnx) find "$golden_dir/files" tests/golden/files -name '*.onnx' -exec cp {} $fz/corpus-$t/ \; 2>/dev/null || true ;;
        esac
        if $fz/$t -max_total_time=10 -timeout=10 -print_final_stats=1 $fz/corpus-$t > $fz/$t.log 2>&1; then
          echo "$t: $(grep -E '^stat::number_of_executed_units' $fz/$t.log | awk '{print $2}') executions, no crash"
        else
          tail -n 30 $fz/$t.log; echo "$t found a crash"; status=1
        fi
      else
        echo "$t: not built here (its reader's dependency is missing), skipped"
      fi
    done
  else
    cat $fz.cmake.log $fz.build.log | tail -n 30; echo "building the fuzzer failed"; status=1
  fi
else
  echo "clang with libFuzzer not found: fuzzing skipped"
fi
echo "total: $passed passed, $failed failed"
exit $status
