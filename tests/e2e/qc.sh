#!/usr/bin/env bash
# bmfm qc on real files: the filtered h5ad (checked with anndata), the report,
# QC + downsampling in one run, and bad input -> clear error + exit code.
# Expected counts come from tests/data/qc_expected.py (numpy re-implementation).
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
[ -d "$DATA" ] || { echo "SKIP: no shared data at $DATA (set BMFM_DATA_DIR)"; exit 77; }
SYM=$DATA/symphony_pbmc_3batch_1500.h5ad

# 1. Counts in layers/counts (X is lognorm): 1500 -> 824 cells, 1764 -> 818 genes.
expect_exit 0 "$BMFM" qc "$SYM" --output filtered/sym.h5ad --output-dir run1 qc=none qc.matrix=layers/counts \
  qc.min_counts=1000 qc.max_mt_fraction=0.05 qc.iqr.enabled=true 'qc.iqr.metrics=[log1p_n_genes_by_counts]' \
  qc.min_cells=20
for f in filtered/sym.h5ad run1/qc_report.json run1/qc_report.md run1/config.yaml run1/bmfm.log; do
  test -f "$f" || fail "missing $f"
done
expect_in run1/qc_report.md "| 1 | min_counts | cells | total_counts >= 1000 | 665 | 835 |"
expect_in run1/qc_report.md "### total_counts (kept cells)"
"$PYTHON" - run1/qc_report.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["cells"] == {"before": 1500, "after": 824}, r["cells"]
assert r["genes"] == {"before": 1764, "after": 818}, r["genes"]
assert [(x["name"], x["removed"]) for x in r["rules"]] == \
    [("min_counts", 665), ("max_mt_fraction", 3), ("iqr", 8), ("min_cells", 946)], r["rules"]
assert r["iqr"][0]["outside"] == 8
PY

if have_python_module anndata; then
  "$PYTHON" - "$SYM" filtered/sym.h5ad <<'PY'
import sys
import anndata, numpy as np
src, out = anndata.read_h5ad(sys.argv[1]), anndata.read_h5ad(sys.argv[2])
assert out.shape == (824, 818), out.shape
for col in ["total_counts", "n_genes_by_counts", "pct_counts_mt", "pct_counts_ribo", "cell_type", "batch"]:
    assert col in out.obs.columns, col
assert "n_cells_by_counts" in out.var.columns
assert (out.var["n_cells_by_counts"] >= 20).all()
assert "counts" in out.layers
# X and layers/counts are cut to the same cells and genes as the source.
ref = src[out.obs_names, out.var_names]
assert np.array_equal(out.X.toarray(), ref.X.toarray())
assert np.array_equal(out.layers["counts"].toarray(), ref.layers["counts"].toarray())
# Metrics are over all genes of the counts layer (before gene filtering).
total = np.asarray(src[out.obs_names].layers["counts"].sum(axis=1)).ravel()
assert np.allclose(out.obs["total_counts"].values, total)
assert (out.obs["total_counts"] >= 1000).all()
mt = src.var_names.str.startswith("MT-")
pct = 100 * np.asarray(src[out.obs_names].layers["counts"][:, mt].sum(axis=1)).ravel() / total
assert np.allclose(out.obs["pct_counts_mt"].values, pct) and (pct <= 5).all()
# Unused categories are dropped, used ones kept.
assert set(out.obs["cell_type"].cat.categories) == set(out.obs["cell_type"].unique())
PY
else
  echo "SKIP anndata check: $PYTHON has no anndata"
fi

# 2. QC + equal downsampling in one run: cell_type x tissue, 50% of 220 -> 110 cells.
CXG=$DATA/bmfm_cellxgene_pretrain.h5ad
for run in a b; do
  expect_exit 0 "$BMFM" qc "$CXG" --output-dir "run_$run" qc=none sample.method=equal sample.fraction=0.5 \
    'sample.columns=[cell_type,tissue]' --seed 5
done
expect_in run_a/qc_report.md "## Sampling: equal (220 -> 110 cells, 73 strata)"
cmp <("$PYTHON" -c "import h5py; print(list(h5py.File('run_a/qc.h5ad')['obs/_index'][:]))") \
    <("$PYTHON" -c "import h5py; print(list(h5py.File('run_b/qc.h5ad')['obs/_index'][:]))") \
  || fail "same seed gave different cells"
"$PYTHON" - run_a/qc_report.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["sample"]
assert s["before"] == 220 and s["after"] == 110
# water filling (qc_expected.py): cap 1, 37 strata get a second cell, single-cell strata kept whole
assert sum(1 for g in s["strata"] if g["after"] == 2) == 37
assert all(g["after"] == min(g["before"], 1) or g["after"] == 2 for g in s["strata"])
PY

# 3. Count rules on a non-count matrix: exit 1, naming the rules, the matrix and the fix.
expect_exit 1 "$BMFM" qc "$SYM" --output-dir run3 qc.min_counts=500
expect_in "$WORK/err" "need raw counts"
expect_in "$WORK/err" "min_counts"
expect_in "$WORK/err" "layers/counts"
test ! -e run3/qc.h5ad || fail "an output was written after an error"

# 4. Missing columns: exit 1 naming the column and listing the ones there are.
expect_exit 1 "$BMFM" qc "$CXG" --output-dir run4 qc=none sample.method=equal sample.fraction=0.1 \
  'sample.columns=[cell_type,tissu]'
expect_in "$WORK/err" "'tissu'"
expect_in "$WORK/err" "tissue_general"
expect_exit 1 "$BMFM" qc "$DATA/cellbench_lung_celllines_5batch.h5ad" --output-dir run4b qc.gene_symbol_column=symbol
expect_in "$WORK/err" "'symbol'"
expect_in "$WORK/err" "gene_symbol"

# 5. Config errors: exit 2.
expect_exit 2 "$BMFM" qc "$SYM" --output-dir run5 qc.matrix=layers/raw
expect_in "$WORK/err" "layers/counts"
expect_exit 2 "$BMFM" qc "$SYM" --output-dir run5 qc.min_gene=3
expect_in "$WORK/err" "min_genes"
expect_exit 2 "$BMFM" qc "$SYM" --output-dir run5 qc.max_mt_fraction=15
expect_in "$WORK/err" "0.15"
expect_exit 2 "$BMFM" qc --output-dir run5
expect_in "$WORK/err" "no input file"
expect_exit 1 "$BMFM" qc does_not_exist.h5ad --output-dir run5
expect_in "$WORK/err" "does_not_exist.h5ad"
echo OK
