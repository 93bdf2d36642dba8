#!/usr/bin/env bash
# Configures (CMake preset "release": Ninja, ccache) and builds bmfm + tests.
# Usage: scripts/build.sh [preset]   (release | debug | asan)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
start=$(date +%s)
cmake --preset "$preset" >/dev/null
# Torch translation units need ~1.5 GB each at -O2; two jobs fit everywhere we build.
cmake --build --preset "$preset" -- -j"${BMFM_BUILD_JOBS:-$(nproc)}"
echo "build ($preset): $(( $(date +%s) - start )) s"
