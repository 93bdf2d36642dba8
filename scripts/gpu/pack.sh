#!/usr/bin/env bash
# Prepares the offline GPU build: downloads the Debian 12 packages of
# scripts/gpu/debs.txt into .gpu-deps/ (git-ignored; tens of MiB), to travel
# with the source tree to a GPU machine that has CUDA 13, Python PyTorch 2.x,
# cmake and ninja but no internet (then: bash scripts/gpu/build.sh there).
# Run on a Debian 12 machine with apt (after scripts/install-deps.sh and a
# build, so the ldd coverage check has a binary to look at).
# Usage: bash scripts/gpu/pack.sh [out-dir]     (default .gpu-deps)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.gpu-deps}
mapfile -t pkgs < <(sed 's/#.*//' scripts/gpu/debs.txt | tr ' ' '\n' | sed '/^$/d')

# Every library the Debian build resolves outside the assumed base must be in the list,
# or the GPU build would link but not run.
if [ -x build/bmfm ]; then
  missing=()
  while read -r lib; do
    pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -1 | cut -d: -f1) || true
    case "$pkg" in ""|libc6|libstdc++6|libgcc-s1|zlib1g) continue ;; esac
    printf '%s\n' "${pkgs[@]}" | grep -qx "$pkg" || missing+=("$pkg ($lib)")
  done < <(ldd build/bmfm | awk '$3 ~ /^\// {print $3}' | grep -v -e "/cache/bmfm/" -e "/usr/local/")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "pack: build/bmfm needs libraries from packages not in scripts/gpu/debs.txt:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
  fi
else
  echo "pack: no build/bmfm, skipping the ldd coverage check" >&2
fi

rm -rf "$out.tmp" && mkdir -p "$out.tmp"
(cd "$out.tmp" && apt-get download -qq "${pkgs[@]}")
rm -rf "$out" && mv "$out.tmp" "$out"
(cd "$out" && sha256sum ./*.deb > SHA256SUMS)
echo "pack: $(ls "$out"/*.deb | wc -l) packages, $(du -sh "$out" | cut -f1) in $out"
