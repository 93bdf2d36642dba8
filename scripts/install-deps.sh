#!/usr/bin/env bash
# Installs every Debian 12 package bmfm needs to build, test and run.
# Idempotent: packages already present are skipped by apt; safe to re-run.
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  # libraries (DESIGN.md "Dependencies")
  libtorch-dev libgloo-dev
  libhdf5-dev hdf5-plugin-lzf liblzf-dev
  libzstd-dev liblz4-dev libbz2-dev zlib1g-dev   # io/tiledb filter codecs
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libigraph-dev libhnswlib-dev
  # Debian's libtorch calls the system BLAS; the reference BLAS is ~20x slower
  # than OpenBLAS and the pthread OpenBLAS oversubscribes with torch's OpenMP
  # threads, so we install (and select below) the OpenMP build.
  libopenblas0-openmp libblas-dev liblapack-dev
  # test-only: independent reference values and AnnData round trips
  python3 python3-numpy python3-h5py python3-anndata python3-sklearn python3-scipy
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

# Select the OpenMP OpenBLAS as the system BLAS/LAPACK (libtorch links libblas.so.3).
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  cand="/usr/lib/${arch}/openblas-openmp/${lib}"
  if [ -e "$cand" ]; then
    $SUDO update-alternatives --set "${lib}-${arch}" "$cand" >/dev/null
  fi
done
echo "install-deps: BLAS -> $(readlink -f /usr/lib/${arch}/libblas.so.3)"
