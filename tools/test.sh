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

passed=0 failed=0 status=0
mkdir -p build
run_suite release build/release -DCMAKE_BUILD_TYPE=Release
run_suite asan+ubsan build/asan -DCMAKE_BUILD_TYPE=Debug -DGRU_SANITIZE=ON
echo "== exported symbols"
bad=$(nm -g --defined-only build/release/libgru.a 2>/dev/null | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^gru_' || true)
if [ -n "$bad" ]; then echo "symbols without the gru_ prefix:"; echo "$bad"; status=1; else echo "all exported symbols start with gru_"; fi
echo "== demo"
build/release/gru_demo | tail -n 2
echo "total: $passed passed, $failed failed"
exit $status
