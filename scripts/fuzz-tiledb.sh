#!/usr/bin/env bash
# Fuzzes the TileDB reader under AddressSanitizer + UBSan for SECONDS (default
# 300): real arrays of ../shared/data/tiledb are extracted to a temp folder and
# mutated file by file (tests/fuzz/tiledb_fuzz.cpp). Not part of ctest.
# usage: scripts/fuzz-tiledb.sh [SECONDS] [SEED]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${BMFM_DATA_DIR:-$root/../shared/data}
secs=${1:-300}
seed=${2:-1}
work=$(mktemp -d /tmp/bmfm_fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
tar xzf "$data/tiledb/soma/soma-exp-pbmc-small.tar.gz" -C "$work"
mkdir "$work/vcf" && tar xzf "$data/tiledb/tiledbvcf-test-arrays.tar.gz" -C "$work/vcf"
g++ -std=c++17 -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
  -I"$root/include" -I"$root/src/io/tiledb" "$root/tests/fuzz/tiledb_fuzz.cpp" "$root"/src/io/tiledb/*.cpp \
  -lzstd -llz4 -lz -lbz2 -lfmt -o "$work/tiledb_fuzz"
"$work/tiledb_fuzz" "$secs" "$seed" "$work/obs" "$work/ms/RNA/X/counts" "$work/ms/RNA/var" \
  "$work/vcf/arrays/new_format/data" "$work/vcf/arrays/bed_array"
