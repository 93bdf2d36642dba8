#!/usr/bin/env bash
# Fresh Debian 12 machine -> dependencies, build, then the main job end to end on
# the embedded default data: simulate a dataset, inspect it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
out=${1:-runs/demo}
./build/bmfm info --no-bench
./build/bmfm simulate --output-dir "$out/simulate"
./build/bmfm inspect "$out/simulate/simulated.h5ad"
echo "demo: outputs in $out"
