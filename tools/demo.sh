#!/usr/bin/env bash
# Build libgru and run the demos on data the repo ships:
#  1. a Keras-made GRU cell over a sequence, and a masked Bidirectional batch,
#     each beside Keras' own outputs (examples/demo.c);
#  2. training a GRU forecaster on the yearly sunspot numbers: learning curve,
#     validation error, build/demo/forecast.png and the trained weights
#     (examples/train_sunspots.c);
#  3. `gru info` and `gru run` on data/models/sunspots.grum, the model the repo
#     ships (the same forecaster, saved by the training demo).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cmake >/dev/null || ! command -v cc >/dev/null; then
  apt-get update -qq && apt-get install -y -qq cmake gcc make
fi
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DGRU_BUILD_TESTS=OFF > /dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" --target gru_demo gru_train_demo > /dev/null
build/release/gru_demo
echo
mkdir -p build/demo
build/release/gru_train_demo data/sunspots.csv build/demo
echo
echo "== the shipped model (data/models/sunspots.grum, the same forecaster) through the gru command"
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" --target gru_cli > /dev/null
echo "\$ gru info data/models/sunspots.grum"
build/release/gru info data/models/sunspots.grum
echo "\$ gru run data/models/sunspots.grum -i data/models/sunspots_input.csv   # 1989-2008 -> 2009"
build/release/gru run data/models/sunspots.grum -i data/models/sunspots_input.csv
