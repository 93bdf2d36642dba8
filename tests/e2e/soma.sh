#!/usr/bin/env bash
# TileDB-SOMA experiments through the CLI: bmfm inspect (text + JSON, obs
# filter), bmfm qc writing an h5ad that anndata reads, bmfm prepare into a
# corpus with an obs filter and equal-downsampling, checked against the
# Seurat object's counts (tests/io/fixtures, from r-cran-seuratobject), and
# clear errors for folders that are not experiments.
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
ARCHIVE=$DATA/tiledb/soma/soma-exp-pbmc-small.tar.gz
[ -f "$ARCHIVE" ] || { echo "SKIP: no $ARCHIVE (set BMFM_DATA_DIR)"; exit 77; }
FIX=$BMFM_SOURCE_DIR/tests/io/fixtures
mkdir exp && tar xzf "$ARCHIVE" -C exp

# 1. inspect: the whole experiment, then a filtered view, as text and JSON.
expect_exit 0 "$BMFM" inspect exp
expect_in "$WORK/out" "exp (soma)"
expect_in "$WORK/out" "80 cells (obs) x 230 genes (var)"
expect_in "$WORK/out" "X              csr float64 80x230, 4456 stored"
expect_in "$WORK/out" "X looks like raw counts: yes"
expect_in "$WORK/out" "letter.idents            category  2 values: A (53), B (27)"
expect_in "$WORK/out" "not read by bmfm: varm/PCs, obsp/RNA_snn, uns"
expect_exit 0 "$BMFM" inspect exp --json "obs_filter=groups == 'g1' and nCount_RNA > 100"
"$PYTHON" - "$WORK/out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["format"] == "soma" and s["n_obs"] == 37 and s["n_vars"] == 230, s
assert s["obs_filter"] == "groups == 'g1' and nCount_RNA > 100"
PY

# 2. qc on the filtered experiment -> h5ad; anndata reads it, counts equal the Seurat object's.
expect_exit 0 "$BMFM" qc exp --output qc.h5ad output_dir=qc_run "obs_filter=letter.idents == 'B'" qc.min_genes=30
expect_in "$WORK/err" "selects 27 of 80 cells"
expect_in "$WORK/err" "are not carried over"
"$PYTHON" - qc.h5ad "$FIX" <<'PY'
import sys
import anndata, numpy as np
a = anndata.read_h5ad(sys.argv[1])
sys.path.insert(0, sys.argv[2])
from pbmc_small import load
obs, genes, dense = load(sys.argv[2])
keep = [i for i, o in enumerate(obs) if o[5] == "B" and int(o[3]) >= 30]
assert list(a.obs_names) == [obs[i][0] for i in keep], (len(keep), a.n_obs)
cols = [genes.index(g) for g in a.var_names]
assert np.array_equal(a.X.toarray(), dense[np.ix_(keep, cols)])
assert list(a.obs["letter.idents"].cat.categories) == ["B"]
assert "X_pca" in a.obsm and a.obsm["X_pca"].shape == (len(keep), 19)
PY

# 3. prepare: an obs filter plus equal downsampling over an obs column; every stored value
#    checked against the Seurat counts of the cell it came from.
expect_exit 0 "$BMFM" prepare --inputs exp --output corpus "obs_filter=nFeature_RNA >= 40" \
  sample.method=equal sample.n=20 'sample.columns=[RNA_snn_res.1]' 'label_columns=[{name: RNA_snn_res.1}]' \
  cells_per_shard=8 chunk_rows=5
expect_in "$WORK/err" "selects"
"$PYTHON" - corpus "$FIX" <<'PY'
import json, os, sys
import numpy as np
d, fix = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(d, "manifest.json")))
assert m["n_cells"] == 20, m["n_cells"]
vocab = json.load(open(os.path.join(d, "vocab.json")))
specials = len(vocab["specials"])
sys.path.insert(0, fix)
from pbmc_small import load
obs, genes, dense = load(fix)
eligible = [i for i, o in enumerate(obs) if int(o[3]) >= 40]
rows = {}
for i in eligible:
    tok = [specials + vocab["genes"].index(genes[g]) for g in np.nonzero(dense[i])[0]]
    rows.setdefault(tuple(sorted(tok)), []).append(i)
seen = 0
for s in m["shards"]:
    raw = open(os.path.join(d, s["file"]), "rb").read()
    n, nnz, idx = np.frombuffer(raw[16:40], "<u8")
    off = np.frombuffer(raw, "<u8", int(n) + 1, int(idx))
    for k in range(int(n)):
        a, b = int(off[k]), int(off[k + 1]); base = 64 + 8 * a
        g = np.frombuffer(raw, "<i4", b - a, base); v = np.frombuffer(raw, "<f4", b - a, base + 4 * (b - a))
        cands = rows.get(tuple(sorted(g.tolist())))
        assert cands, "a stored cell matches no eligible Seurat cell"
        i = cands[0]
        names = [vocab["genes"][t - specials] for t in g]
        assert np.array_equal(v, dense[i, [genes.index(x) for x in names]]), i
        seen += 1
assert seen == 20
PY

# 4. pretrain prepares an experiment given as data.inputs.
expect_exit 0 "$BMFM" pretrain --config "$BMFM_CONFIG_DIR/wced.yaml" size=tiny "data.inputs=[exp]" output_dir=pt \
  trainer.max_steps=3
test -d pt/checkpoints/last || fail "pretrain on a SOMA experiment wrote no checkpoint"

# 5. Errors: a SOMA dataframe folder, a measurement that does not exist, a bad filter.
expect_exit 1 "$BMFM" inspect exp/obs
expect_in "$WORK/err" "not a SOMA experiment"
expect_exit 1 "$BMFM" inspect exp soma_measurement=ATAC
expect_in "$WORK/err" "no measurement 'ATAC' (has: RNA)"
expect_exit 1 "$BMFM" inspect exp "obs_filter=tissue == 'blood'"
expect_in "$WORK/err" "has no column 'tissue'"
expect_exit 1 "$BMFM" prepare --inputs exp --output bad "obs_filter=groups = 'g1'"
expect_in "$WORK/err" "'=' is assignment"
test ! -e bad || fail "prepare left a corpus behind after an error"
echo "soma e2e: OK"
