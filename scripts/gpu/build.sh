#!/usr/bin/env bash
# Builds and checks bmfm on a GPU machine with no internet: CUDA 13, Python
# PyTorch 2.x (its LibTorch is the one bmfm links), cmake, ninja and a C++
# compiler, and none of bmfm's other libraries. Those come as the Debian 12
# packages scripts/gpu/pack.sh downloaded into .gpu-deps/, extracted into a
# private prefix under the build folder (nothing is installed on the machine).
# Then: the unit tests (GoogleTest; the e2e.* CLI tests too where BMFM_DATA_DIR is set), `bmfm info`, and `bmfm bench train` at
# size=full (BERT-base shape, max_length 1024, bf16 autocast) on the GPU with
# MFU against the GPU's bf16 peak (measured, and the datasheet's dense peak).
# Usage: bash scripts/gpu/build.sh [build-dir] [report-dir]
#   (defaults build-gpu, build-gpu/report; BMFM_GPU_BENCH_STEPS, default 30;
#    BMFM_GPU_SKIP_TESTS=1 skips ctest; BMFM_GPU_DEVICE=cpu runs the bench on the CPU;
#    BMFM_GPU_BENCH_SHAPE replaces "size=full model.max_length=1024")
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-gpu}
report=${2:-$build/report}
debs=${BMFM_GPU_DEBS:-.gpu-deps}
steps=${BMFM_GPU_BENCH_STEPS:-30}
device=${BMFM_GPU_DEVICE:-cuda}
python=${PYTHON:-python3}
start=$(date +%s)
mkdir -p "$build" "$report"
log() { echo "[gpu] $*" | tee -a "$report/build.log"; }

[ -d "$debs" ] || { echo "gpu/build: no $debs/ here: run scripts/gpu/pack.sh on a machine with apt first" >&2; exit 2; }
if [ -f "$debs/SHA256SUMS" ]; then (cd "$debs" && sha256sum --quiet -c SHA256SUMS) || { echo "gpu/build: $debs/ is corrupt" >&2; exit 2; }; fi

# 1. The Debian libraries, unpacked (dpkg-deb ships with Debian and Ubuntu;
#    without it, ar + tar do the same).
prefix=$(cd "$build" && pwd)/deps
arch=x86_64-linux-gnu
if [ ! -e "$prefix/.complete" ]; then
  rm -rf "$prefix" && mkdir -p "$prefix"
  for f in "$debs"/*.deb; do
    if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$f" "$prefix"
    else (t=$(mktemp -d) && cd "$t" && ar x "$(cd - >/dev/null && readlink -f "$f")" && tar -xf data.tar.* -C "$prefix" && rm -rf "$t"); fi
  done
  # OpenBLAS's libraries carry RUNPATH $ORIGIN, which hides bmfm's RPATH from
  # their own dependencies: its Fortran run time must sit beside them.
  for l in libgfortran.so.5 libquadmath.so.0; do
    ln -sfn "../$l" "$prefix/usr/lib/$arch/openblas-openmp/$l"
  done
  touch "$prefix/.complete"
fi
lib=$prefix/usr/lib/$arch
log "Debian libraries: $(ls "$debs"/*.deb | wc -l) packages in $prefix"

# 2. LibTorch: the site-packages folder of the machine's PyTorch (torch/share/cmake
#    and the nvidia-* wheels beside it: the layout install-deps.sh recreates).
# (Found without importing torch: only its files are needed, not a working numpy.)
site=$($python -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("torch").submodule_search_locations[0]))')
log "PyTorch $(sed -n "s/^__version__ = '\(.*\)'/\1/p; s/^cuda[^=]*= '\(.*\)'/CUDA \1/p" "$site/torch/version.py" | tr '\n' ' ')at $site"

# 3. Configure: the prefix's CMake configs and libraries first (its include
#    folder then goes ahead of LibTorch's headers: CMakeLists.txt,
#    BMFM_FIRST_INCLUDES), and an RPATH so bmfm runs as built. DT_RPATH, not
#    RUNPATH (--disable-new-dtags): only DT_RPATH also serves the libraries'
#    own dependencies (libhdf5 -> libsz, libigraph -> libarpack, ...).
rpath="$lib;$lib/openblas-openmp;$lib/hdf5/serial"
cmake -G Ninja -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBMFM_LIBTORCH="$site" \
  -DCMAKE_PREFIX_PATH="$prefix/usr;$lib/cmake" -DCMAKE_LIBRARY_PATH="$lib" -DCMAKE_INCLUDE_PATH="$prefix/usr/include" \
  -DHDF5_ROOT="$lib/hdf5/serial" -DHDF5_C_INCLUDE_DIR="$prefix/usr/include/hdf5/serial" \
  -DBLAS_LIBRARIES="$lib/openblas-openmp/libblas.so.3" -DLAPACK_LIBRARIES="$lib/openblas-openmp/liblapack.so.3" \
  -DCMAKE_BUILD_RPATH="$rpath" -DCMAKE_INSTALL_RPATH="$rpath" \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,--disable-new-dtags" -DCMAKE_SHARED_LINKER_FLAGS="-Wl,--disable-new-dtags" \
  -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" 2>&1 | tee "$report/configure.log" | grep -E "bmfm:|Error|error" || true
[ -f "$build/build.ninja" ] || { echo "gpu/build: configure failed, see $report/configure.log" >&2; exit 1; }
t0=$(date +%s)
cmake --build "$build" -- -j"${BMFM_BUILD_JOBS:-$(nproc)}" > "$report/compile.log" 2>&1 \
  || { tail -30 "$report/compile.log"; echo "gpu/build: compile failed, see $report/compile.log" >&2; exit 1; }
log "build: $(( $(date +%s) - t0 )) s on $(nproc) cores"
# The binary must not reach for a library the machine lacks.
if ldd "$build/bmfm" | grep -q "not found"; then ldd "$build/bmfm" | grep "not found" >&2; exit 1; fi
"$build/bmfm" info | tee "$report/info.txt"

# 4. Unit tests (the end-to-end tests need the shared data; BMFM_DATA_DIR, when set, adds them).
if [ "${BMFM_GPU_SKIP_TESTS:-0}" != 1 ]; then
  t0=$(date +%s)
  label=(-E '^e2e[.]'); [ -n "${BMFM_DATA_DIR:-}" ] && label=()
  (cd "$build" && ctest "${label[@]}" -j"$(nproc)" --output-on-failure > "$(cd - >/dev/null; cd "$report"; pwd)/ctest.log" 2>&1) \
    && log "ctest: $(grep -o '[0-9]*% tests passed.*' "$report/ctest.log" | tail -1) ($(grep -c '(Skipped)' "$report/ctest.log") skipped), $(( $(date +%s) - t0 )) s" \
    || { tail -40 "$report/ctest.log"; log "ctest: FAILED, see $report/ctest.log"; exit 1; }
fi

# 5. Training throughput at the BERT-base shape on simulated cells.
"$build/bmfm" simulate --output-dir "$build/sim" > /dev/null   # 2000 cells x 2000 genes
read -r -a shape <<< "${BMFM_GPU_BENCH_SHAPE:-size=full model.max_length=1024}"
"$build/bmfm" bench train --config configs/wced.yaml "${shape[@]}" trainer.precision=bf16 \
  trainer.device="$device" "data.inputs=[$build/sim/simulated.h5ad]" --steps "$steps" --output-dir "$build/bench" 2>&1 \
  | tee "$report/bench_train.txt"
# Datasheet dense bf16 peaks (TFLOP/s) of the GPUs this recipe was written for.
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)
case "$gpu" in
  *H100*PCIe*) spec=756 ;; *H100*|*H200*) spec=989 ;; *A100*) spec=312 ;; *) spec= ;;
esac
if [ -n "$spec" ]; then
  python3 - "$report/bench_train.txt" "$spec" "$gpu" <<'PY' | tee -a "$report/bench_train.txt"
import re, sys
text = open(sys.argv[1]).read()
spec = float(sys.argv[2])
for m in re.finditer(r"^\s*(\S+)\s+([\d.]+) cells/s .*?([\d.]+) GFLOP/s", text, re.M):
    print(f"  {m.group(1)}: {float(m.group(3)) / 1e3:.1f} TFLOP/s = {100 * float(m.group(3)) / 1e3 / spec:.1f}% of the "
          f"{sys.argv[3]} datasheet dense bf16 peak ({spec:.0f} TFLOP/s)")
PY
fi
log "done in $(( $(date +%s) - start )) s; report in $report"
