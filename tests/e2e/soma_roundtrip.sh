#!/usr/bin/env bash
# A real h5ad written as a Census-like SOMA experiment (bmfm_write_soma: 3
# fragments, 256 x 256 space tiles, 4096-cell data tiles, so row bands cross
# tiles and fragments) reads back exactly: bmfm prepare from the h5ad and from
# the experiment, with the same obs filter and equal-downsampling, writes
# byte-identical shards; bmfm qc from both writes the same h5ad content; a
# later fragment wins over an earlier one where duplicates are not allowed.
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
H5AD=$DATA/symphony_pbmc_3batch_1500.h5ad
[ -f "$H5AD" ] || { echo "SKIP: no $H5AD (set BMFM_DATA_DIR)"; exit 77; }
: "${BMFM_WRITE_SOMA:?BMFM_WRITE_SOMA must point at the bmfm_write_soma test tool}"

expect_exit 0 "$BMFM_WRITE_SOMA" "$H5AD" exp --matrix layers/counts --fragments 3 --extent 256 --capacity 4096
expect_exit 0 "$BMFM" inspect exp
expect_in "$WORK/out" "1500 cells (obs) x 1764 genes (var)"
expect_in "$WORK/out" "X looks like raw counts: yes"

FILTER="obs_filter=donor != '5p' and nGene >= 800"
common=(sample.method=equal sample.fraction=0.5 "sample.columns=[cell_type]" "label_columns=[{name: cell_type}]"
        cells_per_shard=200 chunk_rows=300 seed=3)
expect_exit 0 "$BMFM" prepare --inputs "$H5AD" --output from_h5ad matrix=layers/counts "$FILTER" "${common[@]}"
expect_exit 0 "$BMFM" prepare --inputs exp --output from_soma "$FILTER" "${common[@]}"
n=$(ls from_h5ad/shard-*.bin | wc -l)
[ "$n" -ge 2 ] || fail "expected several shards, got $n"
for f in from_h5ad/shard-*.bin; do
  cmp "$f" "from_soma/$(basename "$f")" || fail "$(basename "$f") differs between the h5ad and the SOMA corpus"
done
cmp from_h5ad/vocab.json from_soma/vocab.json || fail "vocabularies differ"

expect_exit 0 "$BMFM" qc "$H5AD" --output a.h5ad output_dir=qa qc.matrix=layers/counts "$FILTER" qc.min_genes=100
expect_exit 0 "$BMFM" qc exp --output b.h5ad output_dir=qb "$FILTER" qc.min_genes=100
"$PYTHON" - a.h5ad b.h5ad <<'PY'
import sys
import anndata, numpy as np
a, b = anndata.read_h5ad(sys.argv[1]), anndata.read_h5ad(sys.argv[2])
assert a.n_obs == b.n_obs and a.n_obs > 10, (a.n_obs, b.n_obs)
assert list(a.obs_names) == list(b.obs_names) and list(a.var_names) == list(b.var_names)
assert np.array_equal(a.layers["counts"].toarray(), b.X.toarray())
for c in ["donor", "cell_type", "nGene"]:
    assert list(a.obs[c]) == list(b.obs[c]), c
PY
# A later obs fragment rewrites the first 5 cells (same soma_joinid, duplicates not
# allowed): the later values win and the cell count stays 1500.
expect_exit 0 "$BMFM_WRITE_SOMA" "$H5AD" rewritten --matrix layers/counts --rewrite-obs 5
expect_exit 0 "$BMFM" qc rewritten --output r.h5ad output_dir=qr qc=none
"$PYTHON" - r.h5ad "$H5AD" <<'PY'
import sys
import anndata
r, h = anndata.read_h5ad(sys.argv[1]), anndata.read_h5ad(sys.argv[2], backed="r")
names = list(h.obs_names)
assert r.n_obs == 1500, r.n_obs
assert list(r.obs_names) == [n + "_rewritten" for n in names[:5]] + names[5:]
PY
echo "soma roundtrip e2e: OK"
