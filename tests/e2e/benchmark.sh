#!/usr/bin/env bash
# bmfm benchmark end to end: PCA baseline on a real dataset -> results.json /
# results.md / report.html; a broken dataset is reported while the others run.
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
[ -f "$DATA/cellbench_lung_celllines_5batch.h5ad" ] || { echo "SKIP: no shared data at $DATA"; exit 77; }
export BMFM_DATA_DIR=$DATA

expect_exit 0 "$BMFM" benchmark datasets=[cellbench_lung_celllines_5batch] zero_shot.methods=[pca] \
  zero_shot.baseline.n_top_genes=1000 zero_shot.umap_epochs=100 --output-dir b1
for f in results.json results.md report.html config.yaml; do test -s b1/$f || fail "missing b1/$f"; done
expect_in b1/results.md "| cellbench_lung_celllines_5batch |"
expect_in b1/report.html "<svg"
expect_in b1/report.html "H2228"          # a cell line in the legend
"$PYTHON" - <<'PY'
import json, math
r = json.load(open("b1/results.json"))
d = r["datasets"][0]
assert d["name"] == "cellbench_lung_celllines_5batch" and d["n_obs"] == 1408, d
m = d["methods"][0]["metrics"]
for k in ("NMI", "ARI", "ASW_label", "ASW_batch", "graph_conn", "AvgBio", "AvgBatch", "overall"):
    assert 0.0 <= m[k] <= 1.0, (k, m[k])
assert abs(m["overall"] - (0.6 * m["AvgBio"] + 0.4 * m["AvgBatch"])) < 1e-12
assert abs(m["AvgBio"] - (m["NMI"] + m["ARI"] + m["ASW_label"]) / 3) < 1e-12
assert abs(m["AvgBatch"] - (m["ASW_batch"] + m["graph_conn"]) / 2) < 1e-12
# Five genetically distinct cell lines: the PCA baseline separates them well.
assert m["NMI"] > 0.8, m["NMI"]
PY

# One broken entry: it is reported, the good one (simulated data) still runs, exit code 1.
expect_exit 0 "$BMFM" simulate simulate=small --output-dir sim
cat > sim.yaml <<'YAML'
name: simulated
path: sim/simulated.h5ad
label_key: cell_type
batch_key: batch
YAML
cat > broken.yaml <<'YAML'
name: broken
path: does_not_exist.h5ad
label_key: cell_type
batch_key: batch
YAML
expect_exit 1 "$BMFM" benchmark "datasets=[broken.yaml,sim.yaml]" "zero_shot.methods=[pca,obsm:X_nope]" \
  zero_shot.baseline.n_top_genes=200 zero_shot.umap=false --output-dir b2
expect_in b2/results.md "broken"
expect_in b2/results.md "does_not_exist.h5ad"
expect_in b2/results.md "| simulated | 0."
expect_in b2/results.md "X_nope"

# Config mistakes are usage errors (2) and name the key.
expect_exit 2 "$BMFM" benchmark zero_shot.methods=[tsne] --output-dir b3
expect_in "$WORK/err" "tsne"
expect_exit 2 "$BMFM" benchmark datasets=[no_such_dataset] --output-dir b3
expect_in "$WORK/err" "no_such_dataset"
expect_in "$WORK/err" "cellbench_lung_celllines_5batch"
expect_exit 2 "$BMFM" benchmark datasets=[lung_atlas] --output-dir b3
expect_in "$WORK/err" "path"
expect_exit 2 "$BMFM" benchmark zero_shot.methods=[checkpoint] --output-dir b3
expect_in "$WORK/err" "set checkpoint=DIR"
echo OK
