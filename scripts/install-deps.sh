#!/usr/bin/env bash
# Installs every Debian 12 package bmfm needs to build, test and run.
# Idempotent: packages already present are skipped by apt; safe to re-run.
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  # libraries (DESIGN.md "Dependencies"); LibTorch itself comes from PyPI below
  # gloo's headers only: c10d's ProcessGroupGloo.hpp includes them and the torch
  # wheel does not ship them. Every gloo object there is held by pointer, so an
  # older gloo's declarations give the same class layouts (docs/design-changes.md).
  libgloo-dev
  libhdf5-dev hdf5-plugin-lzf liblzf-dev
  libzstd-dev liblz4-dev libbz2-dev zlib1g-dev   # io/tiledb filter codecs
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libigraph-dev libhnswlib-dev
  # Debian's libtorch calls the system BLAS; the reference BLAS is ~20x slower
  # than OpenBLAS and the pthread OpenBLAS oversubscribes with torch's OpenMP
  # threads, so we install (and select below) the OpenMP build.
  libopenblas0-openmp libblas-dev liblapack-dev
  # test-only: independent reference values and AnnData round trips
  python3 python3-pip python3-numpy python3-h5py python3-anndata python3-sklearn python3-scipy
  python3-igraph python3-leidenalg
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#PKGS[@]} packages present"
fi

# Select the OpenMP OpenBLAS as the system BLAS/LAPACK: the eval area's LAPACK
# (libtorch's own GEMMs use the MKL inside it, linked ahead: CMakeLists.txt).
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  cand="/usr/lib/${arch}/openblas-openmp/${lib}"
  if [ -e "$cand" ]; then
    $SUDO update-alternatives --set "${lib}-${arch}" "$cand" >/dev/null
  fi
done
echo "install-deps: BLAS -> $(readlink -f /usr/lib/${arch}/libblas.so.3)"

# --- LibTorch 2.x with CUDA, from PyPI's torch wheel -----------------------------
# The wheel's torch/{lib,include,share} is a complete LibTorch (the C++11 ABI,
# CUDA 13). We unpack it, with the four nvidia-* libraries its RPATH expects
# beside it ($ORIGIN/../../nvidia/*/lib), into a cache outside the repository,
# laid out like site-packages so that RPATH resolves with no LD_LIBRARY_PATH.
# The CUDA toolkit's own libraries (cudart, cuBLAS, cuDNN) come from the
# machine (ld.so.conf); scripts/libtorch-wheels.txt says which come from
# wheels and why. CMake finds it through $cache/libtorch (a symlink).
{
  here=$(cd "$(dirname "$0")" && pwd)
  cache=${BMFM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bmfm}
  version=$(sed -n 's/^torch==\([^ ]*\) .*/\1/p' "$here/libtorch-wheels.txt")
  prefix="$cache/libtorch-$version"
  if [ ! -e "$prefix/.complete" ]; then
    echo "install-deps: fetching LibTorch $version (torch wheel + 4 CUDA libraries, ~1.1 GB) into $prefix"
    rm -rf "$prefix" "$cache/wheels"
    mkdir -p "$cache/wheels"
    # The wheel's native libraries do not depend on the Python version; pin the
    # tags so every machine downloads the same files (and hashes).
    /usr/bin/python3 -m pip download --quiet --no-deps --require-hashes -r "$here/libtorch-wheels.txt" \
      --only-binary=:all: --python-version 3.11 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_18_x86_64 \
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      -d "$cache/wheels"
    /usr/bin/python3 - "$cache/wheels" "$prefix" <<'PY'
import pathlib, sys, zipfile
wheels, prefix = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for whl in sorted(wheels.glob("*.whl")):
    with zipfile.ZipFile(whl) as z:
        for name in z.namelist():
            top = name.split("/")[:2]
            if top[0] == "torch":
                # The C++ library only; torch/include/fmt is left out because it
                # would shadow Debian's fmt 9, which spdlog is built against.
                if len(top) < 2 or top[1] not in ("lib", "include", "share"): continue
                if name.startswith("torch/include/fmt/") or name.endswith("libtorch_python.so"): continue
            elif top[0] != "nvidia" or "/lib/" not in name:
                continue
            z.extract(name, prefix)
            info = z.getinfo(name)
            mode = (info.external_attr >> 16) & 0o777
            if mode: (prefix / name).chmod(mode)
PY
    rm -rf "$cache/wheels"
    touch "$prefix/.complete"
  fi
  ln -sfn "libtorch-$version" "$cache/libtorch"
  echo "install-deps: LibTorch $version at $prefix"
}
