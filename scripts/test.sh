#!/usr/bin/env bash
# Fresh Debian 12 machine -> dependencies, build, every test (GoogleTest + end-to-end CLI).
# Real-data tests read ../shared/data (or $BMFM_DATA_DIR) and skip with a message when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
start=$(date +%s)
export BMFM_DATA_DIR=${BMFM_DATA_DIR:-$(cd .. && pwd)/shared/data}
ctest --preset release -j"$(nproc)" "$@"
echo "tests: $(( $(date +%s) - start )) s"
