#!/usr/bin/env bash
# simulate -> h5ad that anndata opens with the right contents -> inspect (text and JSON).
source "$(dirname "$0")/lib.bash"

expect_exit 0 "$BMFM" simulate simulate=small simulate.n_cells=250 --seed 3 --output-dir run1
test -f run1/simulated.h5ad || fail "no simulated.h5ad"
test -f run1/config.yaml || fail "no config.yaml in the run folder"
test -f run1/bmfm.log || fail "no bmfm.log in the run folder"
expect_in run1/config.yaml "n_cells: 250"
expect_in run1/config.yaml "seed: 3"
expect_in run1/config.yaml "output: run1/simulated.h5ad"

# Same seed -> byte-identical matrix; the resolved config reproduces the run.
expect_exit 0 "$BMFM" simulate --config run1/config.yaml output_dir=run2 output=run2/simulated.h5ad
cmp <("$BMFM" inspect run1/simulated.h5ad --json | grep -v '"path"') \
    <("$BMFM" inspect run2/simulated.h5ad --json | grep -v '"path"') || fail "same config gave different output"

if have_python_module anndata; then
  "$PYTHON" - <<'PY'
import anndata, numpy as np
a = anndata.read_h5ad("run1/simulated.h5ad")
assert a.shape == (250, 500), a.shape
X = a.X.toarray() if hasattr(a.X, "toarray") else a.X
assert (X >= 0).all() and (X == np.round(X)).all(), "X must be integer counts"
assert list(a.obs["cell_type"].cat.categories) == ["celltype_1", "celltype_2", "celltype_3"]
assert list(a.obs["batch"].cat.categories) == ["batch_1", "batch_2"]
assert a.var_names[0] == "GENE00001" and a.obs_names[0] == "cell_00001"
assert "de_factor_celltype_1" in a.var.columns
PY
else
  echo "SKIP anndata check: /usr/bin/python3 has no anndata"
fi

expect_exit 0 "$BMFM" inspect run1/simulated.h5ad
expect_in "$WORK/out" "250 cells (obs) x 500 genes (var)"
expect_in "$WORK/out" "X looks like raw counts: yes"
expect_in "$WORK/out" "cell_type"

expect_exit 0 "$BMFM" inspect run1/simulated.h5ad --json
"$PYTHON" - "$WORK/out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["n_obs"] == 250 and s["n_vars"] == 500
assert s["looks_like_counts"] is True
obs = {c["name"]: c for c in s["obs"]["columns"]}
assert obs["cell_type"]["n_categories"] == 3
assert sum(n for _, n in obs["cell_type"]["top"]) == 250
PY

# --cfg job prints the resolved config and writes nothing.
expect_exit 0 "$BMFM" simulate --cfg job simulate.n_genes=123 --output-dir never
expect_in "$WORK/out" "n_genes: 123"
test ! -e never || fail "--cfg job must not create the output folder"
echo OK
