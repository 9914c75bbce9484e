#!/usr/bin/env bash
# The gru command end to end: info, run (CSV and .npy in and out), convert,
# and the exit codes of bad calls (2: usage) and bad files (1: refused, with
# a message naming the problem).
#   tests/cli_test.sh [path/to/gru]     (default build/release/gru)
set -uo pipefail
cd "$(dirname "$0")/.."
gru=${1:-build/release/gru}
model=data/models/sunspots.grum
input=data/models/sunspots_input.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
if [ ! -x "$gru" ]; then echo "FAIL cli: no gru program at $gru"; exit 1; fi

# ok CONDITION-COMMAND... MESSAGE: one extra check
check() {
  local msg=$1
  shift
  n=$((n + 1))
  if ! "$@" >/dev/null 2>&1; then echo "FAIL cli: $msg"; fails=$((fails + 1)); fi
}

# expect RC DESCRIPTION NEEDLE -- command...: exit code RC and NEEDLE in its stdout+stderr
expect() {
  local want=$1 what=$2 needle=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  n=$((n + 1))
  if [ "$rc" != "$want" ] || ! grep -qF -- "$needle" <<<"$out"; then
    echo "FAIL cli: $what: exit $rc (want $want), output lacks '$needle':"
    printf '%s\n' "$out" | head -n 8
    fails=$((fails + 1))
  fi
}

expect 0 "info" "total params: 881" -- "$gru" info "$model"
expect 0 "info shows the GRU variant" "reset_after=false" -- "$gru" info "$model"
expect 0 "info shows the hard_sigmoid flavour" "hard_sigmoid (Keras 2" -- "$gru" info "$model"
expect 0 "run on CSV" "." -- "$gru" run "$model" -i "$input"
forecast=$("$gru" run "$model" -i "$input")
expect 0 "run writes CSV" "" -- "$gru" run "$model" -i "$input" -o "$tmp/out.csv"
check "-o out.csv differs from stdout" test "$(cat "$tmp/out.csv")" = "$forecast"
expect 0 "run writes .npy" "" -- "$gru" run "$model" -i "$input" -o "$tmp/out.npy"
check "out.npy has no NUMPY magic" grep -q NUMPY "$tmp/out.npy"
# the .npy output fed back as an input of shape (1,) is refused by shape
expect 1 "run refuses a wrong input shape" "model input 0 needs 2" -- "$gru" run "$model" -i "$tmp/out.npy"
# a .npy input (20, 1) float64 made from the CSV, and a batch of 2 with --batch-major
if command -v python3 >/dev/null && python3 -c 'import numpy' 2>/dev/null; then
  python3 - "$input" "$tmp" <<'PY'
import sys, numpy as np
x = np.loadtxt(sys.argv[1], comments="#").reshape(20, 1)
np.save(sys.argv[2] + "/in.npy", x)
np.save(sys.argv[2] + "/batch.npy", np.stack([x, x]).astype(np.float32))
rng = np.random.default_rng(7)
np.save(sys.argv[2] + "/big.npy", (rng.standard_normal((37, 20, 1)) * 60 + 80).astype(np.float32))
PY
  expect 0 "run on .npy" "$forecast" -- "$gru" run "$model" -i "$tmp/in.npy"
  expect 0 "run --batch-major" "$forecast" -- "$gru" run "$model" -i "$tmp/batch.npy" --batch-major
  "$gru" run "$model" -i "$tmp/batch.npy" --batch-major -o "$tmp/b.npy"
  check "numpy cannot read the .npy output as (2, 1)" \
    python3 -c "import numpy as np; assert np.load('$tmp/b.npy').shape == (2, 1)"
  # --threads: a batch of 37 split over 2 and 3 threads gives the same bytes as 1
  expect 0 "run --threads 1" "" -- "$gru" run "$model" -i "$tmp/big.npy" --batch-major -o "$tmp/t1.npy" --threads 1
  expect 0 "run --threads 2" "" -- "$gru" run "$model" -i "$tmp/big.npy" --batch-major -o "$tmp/t2.npy" --threads 2
  expect 0 "run --threads 3" "" -- "$gru" run "$model" -i "$tmp/big.npy" --batch-major -o "$tmp/t3.npy" --threads 3
  check "--threads 2 output differs from --threads 1" cmp -s "$tmp/t1.npy" "$tmp/t2.npy"
  check "--threads 3 output differs from --threads 1" cmp -s "$tmp/t1.npy" "$tmp/t3.npy"
fi
expect 0 "run --threads 2 on one sequence" "$forecast" -- "$gru" run "$model" -i "$input" --threads 2
expect 0 "convert" "wrote" -- "$gru" convert "$model" "$tmp/copy.grum"
check "convert changed the bytes" cmp -s "$model" "$tmp/copy.grum"
expect 0 "formats" "native" -- "$gru" formats

# usage errors: exit 2
expect 2 "no command" "usage" -- "$gru"
expect 2 "unknown command" "unknown command 'frobnicate'" -- "$gru" frobnicate
expect 2 "info without a file" "info takes one FILE" -- "$gru" info
expect 2 "run without inputs" "has 1 input, got 0 -i" -- "$gru" run "$model"
expect 2 "run with a bad option" "unknown option '--fast'" -- "$gru" run "$model" --fast
expect 2 "run --threads 0" "--threads must be an integer in [1, 1024], got '0'" -- "$gru" run "$model" -i "$input" --threads 0
expect 2 "run --threads x" "--threads must be an integer" -- "$gru" run "$model" -i "$input" --threads 2x
expect 2 "run --threads without a count" "--threads needs a thread count" -- "$gru" run "$model" -i "$input" --threads
expect 2 "run with -o of another type" "must end in .csv or .npy" -- "$gru" run "$model" -i "$input" -o x.txt

# bad files: exit 1 and a message naming the problem
expect 1 "missing file" "cannot open" -- "$gru" info "$tmp/nope.grum"
head -c 100 "$model" > "$tmp/trunc.grum"
expect 1 "truncated model" "truncated" -- "$gru" info "$tmp/trunc.grum"
cp "$model" "$tmp/flip.grum"
printf '\x55' | dd of="$tmp/flip.grum" bs=1 seek=200 conv=notrunc status=none
expect 1 "damaged model" "checksum mismatch" -- "$gru" info "$tmp/flip.grum"
printf 'hello' > "$tmp/hello.bin"
expect 1 "not a model" "not a model format" -- "$gru" info "$tmp/hello.bin"
printf '1,2\n3\n' > "$tmp/ragged.csv"
expect 1 "ragged CSV" "line 2 has 1 columns" -- "$gru" run "$model" -i "$tmp/ragged.csv"
printf '1\n2\nx\n' > "$tmp/text.csv"
expect 1 "CSV with text" "line 3, column 1: not a number" -- "$gru" run "$model" -i "$tmp/text.csv"
printf '1\n2\n3\n' > "$tmp/short.csv"
expect 1 "CSV of the wrong length" "axis 0 has 3" -- "$gru" run "$model" -i "$tmp/short.csv"
printf '\x93NUMPY\x01\x00\x10\x00{"descr": "<c8"' > "$tmp/bad.npy"
expect 1 "bad .npy" "truncated .npy header" -- "$gru" run "$model" -i "$tmp/bad.npy"

echo "cli: $((n - fails)) of $n checks passed"
[ "$fails" = 0 ]
