#!/usr/bin/env bash
# Checks the offline GPU recipe on this (Debian 12, no GPU) machine: runs
# scripts/gpu/build.sh in a private mount namespace where the system's copies of
# every library the recipe bundles are hidden (each file bind-mounted over with
# an empty one), so the build can only succeed from .gpu-deps/, and against
# the Python PyTorch of scripts/install-python-torch.sh instead of the LibTorch
# of install-deps.sh. The bench runs on the CPU, tiny model, a few steps.
# It builds a clean copy of the committed tree (git archive HEAD), as the
# GPU machine would receive it, in $work (default /tmp/bmfm-gpu-selftest).
# Needs root (unshare -m). Usage: bash scripts/gpu/selftest.sh [work-dir]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-/tmp/bmfm-gpu-selftest}
[ -d .gpu-deps ] || bash scripts/gpu/pack.sh
if [ "${BMFM_GPU_SELFTEST_KEEP:-0}" = 1 ] && [ -d "$work/build-gpu" ]; then
  # Iterating on the recipe itself: keep the compiled tree, take HEAD's scripts/gpu.
  git archive HEAD scripts/gpu | tar -x -C "$work"
else
  rm -rf "$work" && mkdir -p "$work"
  git archive HEAD | tar -x -C "$work"
fi
export BMFM_GPU_DEBS=$PWD/.gpu-deps
build=$work/build-gpu
site=$(bash scripts/install-python-torch.sh >/dev/null && echo "${BMFM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bmfm}/python-torch")
# The bundled packages whose files are hidden: the -dev packages and the runtime
# libraries only bmfm uses (not curl / TLS / ICU, which cmake itself needs).
hide=(libhdf5-dev liblzf-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
      libigraph-dev libhnswlib-dev libgtest-dev libgloo-dev libhdf5-103-1 libhdf5-hl-100 libaec0 libsz2
      libyaml-cpp0.7 libspdlog1.10 libfmt9 liblzf1 libigraph3 libarpack2 libglpk40 libplfit0
      libopenblas0-openmp libgfortran5)
files=$(for p in "${hide[@]}"; do dpkg -L "$p"; done | while read -r f; do if [ -f "$f" ]; then readlink -f "$f"; fi; done | sort -u)
echo "selftest: hiding $(echo "$files" | wc -l) system files of ${#hide[@]} packages"
export files build site work
unshare -m bash -c '
  set -euo pipefail
  empty=$(mktemp); while read -r f; do mount --bind "$empty" "$f"; done <<< "$files"
  # Proof that the hiding works: the system yaml-cpp header is now empty.
  [ ! -s /usr/include/yaml-cpp/yaml.h ] || { echo "selftest: hiding failed" >&2; exit 1; }
  # ccache off: its cache would hand back objects compiled against the hidden headers.
  CCACHE_DISABLE=1 PYTHON=/usr/bin/python3 PYTHONPATH="$site" BMFM_GPU_DEVICE=cpu BMFM_GPU_BENCH_STEPS=${BMFM_GPU_BENCH_STEPS:-2} BMFM_GPU_BENCH_SHAPE="size=tiny" \
    bash "$work/scripts/gpu/build.sh" "$build"
'
