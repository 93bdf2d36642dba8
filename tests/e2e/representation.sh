#!/usr/bin/env bash
# Does pretraining learn what the cells are? The shipped tiny WCED preset is
# pretrained briefly on simulated cells with known types, the checkpoint
# embeds them with its default pooling, and the embedding must separate the
# types: leave-one-out 5-NN accuracy (sklearn) far above chance, and no
# collapse warning from bmfm embed. A recipe that regresses to a collapsed
# representation (every cell the same vector, or cells along one depth-like
# direction) fails here, whatever its loss curve does.
source "$(dirname "$0")/lib.bash"
have_python_module sklearn || { echo "SKIP: $PYTHON has no sklearn"; exit 77; }
have_python_module anndata || { echo "SKIP: $PYTHON has no anndata"; exit 77; }
CFG=$BMFM_SOURCE_DIR/configs

expect_exit 0 "$BMFM" simulate --output-dir sim  # 2,000 cells, 5 types (majority class 35%)
cat > knn.py <<'PY'
import sys
import anndata, numpy as np
from sklearn.neighbors import KNeighborsClassifier
from sklearn.model_selection import cross_val_score
a = anndata.read_h5ad(sys.argv[1])
x, y = a.obsm["X_bmfm"], a.obs["cell_type"].astype(str).values
chance = max(np.mean(y == c) for c in set(y))
acc = cross_val_score(KNeighborsClassifier(5), x, y, cv=5).mean()
print(f"{sys.argv[2]}: 5-NN accuracy {acc:.3f} (majority class {chance:.3f})")
lo, hi = float(sys.argv[3]), float(sys.argv[4])
assert lo <= acc <= hi, (sys.argv[2], acc, lo, hi)
PY

# Both presets that pretrain on unlabelled cells (docs/results.md,
# "Representations": at 1,000 steps WCED scored 0.85-0.89, MLM-RDA 0.86; the
# same MLM-RDA with its MLM terms at weight 1 scored 0.35).
for preset in wced mlm_rda; do
  expect_exit 0 "$BMFM" pretrain --config "$CFG/$preset.yaml" size=tiny "data.inputs=[sim/simulated.h5ad]" \
    trainer.max_steps=1000 trainer.val_every=0 --output-dir "run_$preset"
  expect_exit 0 "$BMFM" embed --checkpoint "run_$preset" --input sim/simulated.h5ad --output-dir "emb_$preset" --slim
  expect_in "$WORK/err" "embedding health"
  grep -q "looks collapsed" "$WORK/err" && fail "$preset: bmfm embed says the embedding looks collapsed"
  "$PYTHON" knn.py "emb_$preset/embeddings.h5ad" "$preset" 0.8 1
done

# The collapse warning itself: a post-norm model read at [CLS] after a few
# steps is the collapsed case of issue 14 (every cell nearly the same vector).
expect_exit 0 "$BMFM" pretrain --config "$CFG/wced.yaml" size=tiny "data.inputs=[sim/simulated.h5ad]" \
  trainer.max_steps=20 trainer.val_every=0 model.norm=post model.cell_pooling=cls trainer.lr=1e-5 --output-dir run_cls
expect_exit 0 "$BMFM" embed --checkpoint run_cls --input sim/simulated.h5ad --output-dir emb_cls --slim
expect_in "$WORK/err" "looks collapsed"
# ... and the kNN check tells it apart: near the majority class, far below the preset.
"$PYTHON" knn.py emb_cls/embeddings.h5ad "collapsed [CLS]" 0 0.55
# The in-training probe: probe/* figures in metrics.jsonl every `every` steps
# and after the last; a probe that cannot run stops the run before step 1.
expect_exit 0 "$BMFM" pretrain --config "$CFG/wced.yaml" size=tiny "data.inputs=[sim/simulated.h5ad]" \
  trainer.max_steps=15 trainer.val_every=0 trainer.probe.input=sim/simulated.h5ad trainer.probe.batch_key=batch \
  trainer.probe.every=10 --output-dir run_probe
expect_in "$WORK/err" "step 10: probe NMI"
"$PYTHON" - <<'PY'
import json
rows = [j for j in map(json.loads, open("run_probe/metrics.jsonl")) if j["split"] == "probe"]
assert [r["step"] for r in rows] == [10, 15], rows
keys = {"probe/NMI", "probe/ARI", "probe/ASW_label", "probe/AvgBio", "probe/ASW_batch", "probe/graph_conn",
        "probe/effective_rank", "probe/spread", "probe/mean_std", "probe/mean_cosine"}
assert keys <= set(rows[-1]), set(rows[-1])
assert 1 <= rows[-1]["probe/effective_rank"] <= 64 and 0 <= rows[-1]["probe/NMI"] <= 1
print("probe rows:", [(r["step"], round(r["probe/NMI"], 3)) for r in rows])
PY
# The probe on the corpus's own validation split (no second file): its label columns come from data.label_columns.
expect_exit 0 "$BMFM" pretrain --config "$CFG/wced.yaml" size=tiny "data.inputs=[sim/simulated.h5ad]" \
  "data.label_columns=[{name: cell_type}, {name: batch}]" data.val_fraction=0.2 trainer.max_steps=15 trainer.val_every=0 \
  trainer.probe.source=validation trainer.probe.batch_key=batch trainer.probe.every=10 --output-dir run_valprobe
expect_in "$WORK/err" "step 10: probe NMI"
expect_in "$WORK/err" "(the validation split)"
"$PYTHON" - <<'PY'
import json
rows = [j for j in map(json.loads, open("run_valprobe/metrics.jsonl")) if j["split"] == "probe"]
assert [r["step"] for r in rows] == [10, 15], rows
assert 0 <= rows[-1]["probe/NMI"] <= 1 and "probe/ASW_batch" in rows[-1], rows[-1]
print("validation probe rows:", [(r["step"], round(r["probe/NMI"], 3)) for r in rows])
PY
expect_exit 1 "$BMFM" pretrain --config "$CFG/wced.yaml" size=tiny "data.inputs=[sim/simulated.h5ad]" \
  "data.label_columns=[{name: batch}]" trainer.max_steps=15 trainer.probe.source=validation --output-dir run_valprobe_bad
expect_in "$WORK/err" "trainer.probe.label_key: 'cell_type' is not a classification label column of the corpus (it has: batch); add it to data.label_columns"
expect_exit 2 "$BMFM" pretrain --config "$CFG/wced.yaml" size=tiny "data.inputs=[sim/simulated.h5ad]" \
  trainer.probe.source=validation trainer.probe.input=sim/simulated.h5ad --output-dir run_valprobe_bad2
expect_in "$WORK/err" "source=validation probes the corpus's validation split; leave input empty"
expect_exit 1 "$BMFM" pretrain --config "$CFG/wced.yaml" size=tiny "data.inputs=[sim/simulated.h5ad]" \
  trainer.max_steps=15 trainer.probe.input=sim/simulated.h5ad trainer.probe.label_key=celltype --output-dir run_badprobe
expect_in "$WORK/err" "trainer.probe.label_key: sim/simulated.h5ad has no obs column 'celltype'"
expect_exit 1 "$BMFM" pretrain --config "$CFG/wced.yaml" size=tiny "data.inputs=[sim/simulated.h5ad]" \
  trainer.max_steps=15 trainer.probe.input=nowhere.h5ad --output-dir run_noprobe
expect_in "$WORK/err" "trainer.probe.input: nowhere.h5ad does not exist"
echo "representation: ok"
