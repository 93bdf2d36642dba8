#!/usr/bin/env bash
# bmfm inspect on every shared real-data file (skips when the data folder is absent).
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
[ -d "$DATA" ] || { echo "SKIP: no shared data at $DATA (set BMFM_DATA_DIR)"; exit 77; }

for f in "$DATA"/*.h5ad "$DATA"/*.h5; do
  expect_exit 0 "$BMFM" inspect "$f" --json
  "$PYTHON" - "$WORK/out" "$f" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["n_obs"] > 0 and s["n_vars"] > 0, sys.argv[2]
PY
done

expect_exit 0 "$BMFM" inspect "$DATA/cellbench_lung_celllines_5batch.h5ad"
expect_in "$WORK/out" "1408 cells (obs) x 11533 genes (var)"
expect_in "$WORK/out" "(ensembl ids)"
expect_in "$WORK/out" "gene_symbol"
expect_in "$WORK/out" "X looks like raw counts: yes"

expect_exit 0 "$BMFM" inspect "$DATA/symphony_pbmc_3batch_1500.h5ad"
expect_in "$WORK/out" "X looks like raw counts: no"
expect_in "$WORK/out" "layers/counts"

expect_exit 0 "$BMFM" inspect "$DATA/scvi_pbmc_5k_protein_v3.h5ad"
expect_in "$WORK/out" "lzf"
echo OK
