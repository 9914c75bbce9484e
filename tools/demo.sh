#!/usr/bin/env bash
# Build libgru and run the demo: a Keras-made GRU cell over a shipped sequence,
# libgru's outputs beside Keras'.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cmake >/dev/null || ! command -v cc >/dev/null; then
  apt-get update -qq && apt-get install -y -qq cmake gcc make
fi
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DGRU_BUILD_TESTS=OFF > /dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" --target gru_demo > /dev/null
exec build/release/gru_demo "$@"
