#!/usr/bin/env bash
# bmfm finetune end to end on real data: from scratch (the "no pretraining"
# row) and from a pretrained checkpoint, cross-batch and stratified splits,
# metrics files checked with sklearn; bad configs are clear errors.
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
SYM=$DATA/symphony_pbmc_3batch_1500.h5ad
[ -f "$SYM" ] || { echo "SKIP: no shared data at $DATA (set BMFM_DATA_DIR)"; exit 77; }
have_python_module sklearn || { echo "SKIP: $PYTHON has no sklearn"; exit 77; }
CFG=$BMFM_SOURCE_DIR/configs
COMMON=(--input "$SYM" "labels=[{name: cell_type}]" matrix=layers/counts bootstrap=200 trainer.lr=1e-3)

# 1. From scratch, cross-batch (train on 3pv1 + 3pv2, test on 5p): learns well above the majority class.
expect_exit 0 "$BMFM" finetune architecture="$CFG/wced.yaml" "architecture_overrides=[size=tiny]" "${COMMON[@]}" \
  split.mode=column split.column=batch "split.test_values=[5p]" trainer.max_epochs=4 \
  trainer.early_stopping.patience=0 --output-dir scratch
for f in metrics.json metrics.md per_class_cell_type.csv confusion_cell_type.csv config.yaml \
         checkpoints/best/index.json checkpoints/best/labels.json checkpoints/best/architecture.yaml; do
  test -f "scratch/$f" || fail "missing scratch/$f"
done
"$PYTHON" - "$SYM" <<'PY'
import csv, json, sys
import anndata
m = json.load(open("scratch/metrics.json"))
t = m["cell_type"]["test"]
assert m["cells"]["test"] == (anndata.read_h5ad(sys.argv[1], backed="r").obs["batch"] == "5p").sum()
majority = 0.31  # the largest cell type's share among the 5p cells is below this
print(f"from scratch, cross-batch: accuracy {t['accuracy']:.3f} {t['accuracy_ci95']}, macro F1 {t['macro_f1']:.3f}")
assert t["accuracy"] > majority + 0.1, t
lo, hi = t["accuracy_ci95"]
assert lo <= t["accuracy"] <= hi
# The confusion matrix agrees with the reported accuracy and per-class support.
rows = list(csv.reader(open("scratch/confusion_cell_type.csv")))
cm = [[int(x) for x in r[1:]] for r in rows[1:]]
n = sum(map(sum, cm))
assert n == t["n"], (n, t["n"])
assert abs(sum(cm[i][i] for i in range(len(cm))) / n - t["accuracy"]) < 1e-12
PY
expect_in scratch/metrics.md "| cell_type | test |"

# 2. From a pretrained checkpoint, stratified split, focal loss, two-layer head, frozen embeddings.
expect_exit 0 "$BMFM" pretrain --config "$CFG/wced.yaml" size=tiny "data.inputs=[$SYM]" data.matrix=layers/counts \
  trainer.max_steps=20 trainer.val_every=0 --output-dir pre
expect_exit 0 "$BMFM" finetune --checkpoint pre "${COMMON[@]}" "labels=[{name: cell_type, loss: focal}, {name: batch, grl: true}]" \
  head_layers=2 pooling=mean "freeze=[bert.embeddings]" trainer.max_epochs=2 --output-dir fromckpt
expect_in "$WORK/err" "finetune: from checkpoint pre/checkpoints/last (step 20)"
expect_in "$WORK/err" "parameters frozen (bert.embeddings)"
"$PYTHON" - <<'PY'
import json
m = json.load(open("fromckpt/metrics.json"))
assert set(m) >= {"cell_type", "batch"} and m["cells"]["test"] == 300, m["cells"]
PY

# 2b. --checkpoint takes a fine-tuning run too (its checkpoints/best): embed reads the fine-tuned encoder.
# With the whole encoder frozen it is the pretrained one, so the embeddings must be the same.
expect_exit 0 "$BMFM" finetune --checkpoint pre "${COMMON[@]}" "freeze=[bert]" trainer.max_epochs=1 --output-dir frozen
expect_exit 0 "$BMFM" embed --checkpoint frozen --input "$SYM" matrix=layers/counts --slim --output-dir emb_frozen
expect_exit 0 "$BMFM" embed --checkpoint pre --input "$SYM" matrix=layers/counts --slim --output-dir emb_pre
expect_exit 0 "$BMFM" embed --checkpoint fromckpt --input "$SYM" matrix=layers/counts --slim --output-dir emb_tuned
"$PYTHON" - <<'PY'
import anndata, numpy as np
e = {k: anndata.read_h5ad(f"emb_{k}/embeddings.h5ad").obsm["X_bmfm"] for k in ("frozen", "pre", "tuned")}
assert e["frozen"].shape == e["pre"].shape == (1500, 64), e["frozen"].shape
assert np.array_equal(e["frozen"], e["pre"]), np.abs(e["frozen"] - e["pre"]).max()
d = np.abs(e["tuned"] - e["pre"]).max()
assert d > 1e-3, d  # fine-tuned layers: a different encoder
print(f"embed from a fine-tuning run: frozen encoder = pretrained exactly; tuned differs by up to {d:.3f}")
PY

# 3. Errors: a label column that does not exist; no overlapping genes; neither checkpoint nor architecture.
expect_exit 1 "$BMFM" finetune --checkpoint pre --input "$SYM" "labels=[{name: celltype}]" matrix=layers/counts --output-dir e1
expect_in "$WORK/err" "celltype"
expect_exit 1 "$BMFM" finetune --checkpoint pre --input "$DATA/scanpy_10x_mousebrain10k_1000genes.h5ad" \
  "labels=[{name: cell_type}]" --output-dir e2
expect_in "$WORK/err" "none of its 1000 genes is in the model's vocabulary"
expect_exit 2 "$BMFM" finetune --input "$SYM" "labels=[{name: cell_type}]" --output-dir e3
expect_in "$WORK/err" "set checkpoint (a pretrained model) or architecture"
expect_exit 1 "$BMFM" finetune --checkpoint pre "${COMMON[@]}" split.mode=column split.column=batch "split.test_values=[10x]" --output-dir e4
expect_in "$WORK/err" "no cell has batch = '10x' (values: 3pv1, 3pv2, 5p)"
# Trainer keys the fine-tuning loop does not implement are refused, not ignored.
expect_exit 2 "$BMFM" finetune --checkpoint pre "${COMMON[@]}" trainer.probe.input="$SYM" trainer.probe.label_key=cell_type --output-dir e5
expect_in "$WORK/err" "trainer.probe.input' (from <command line>): not supported yet by bmfm finetune"

# 3a. The shared training loop's schedule in fine-tuning: grad_accum, val_every, log_every, step checkpoints.
# 1049 training cells in batches of 32: 33 batches, 16 steps of 2 in the one epoch.
expect_exit 0 "$BMFM" finetune --checkpoint pre "${COMMON[@]}" trainer.max_epochs=1 trainer.grad_accum=2 \
  trainer.val_every=10 trainer.log_every=5 trainer.checkpoint_every=5 trainer.keep_checkpoints=1 --output-dir sched
"$PYTHON" - <<'PY'
import csv, os
rows = list(csv.DictReader(open("sched/metrics.csv")))  # long format: step, epoch, split, time, metric, value
steps = lambda split: sorted({int(r["step"]) for r in rows if r["split"] == split})
assert steps("train") == [5, 10, 15, 16], steps("train")
assert steps("val") == [10, 16], steps("val")
f1 = [float(r["value"]) for r in rows if r["metric"] == "val/macro_f1"]
assert len(f1) == 2 and all(0 <= v <= 1 for v in f1), f1
ck = sorted(os.listdir("sched/checkpoints"))
assert ck == ["best", "step-00000015"], ck
print("finetune schedule: train", steps("train"), "val", steps("val"), "checkpoints", ck)
PY

# 3b. The simple baseline: kNN (k = 15) on the PCA baseline embedding, same cross-batch split.
expect_exit 0 "$BMFM" finetune baseline=pca_knn --input "$SYM" "labels=[{name: cell_type}]" matrix=layers/counts \
  split.mode=column split.column=batch "split.test_values=[5p]" --output-dir knn
"$PYTHON" - <<'PY'
import json
t = json.load(open("knn/metrics.json"))["cell_type"]["test"]
print(f"pca_knn cross-batch: accuracy {t['accuracy']:.3f}, macro F1 {t['macro_f1']:.3f}")
assert t["n"] == 543 and t["accuracy"] > 0.9, t
PY
expect_exit 2 "$BMFM" finetune baseline=pca_knn --checkpoint pre --input "$SYM" "labels=[{name: cell_type}]" --output-dir knn2
expect_in "$WORK/err" "exactly one"

# 4. bmfm predict with the from-scratch model: the test cells get the labels
# the fine-tuning scored; other files report the genes they lack.
expect_exit 0 "$BMFM" predict --checkpoint scratch --input "$SYM" matrix=layers/counts write_probabilities=true \
  write_logits=true --output-dir pred
"$PYTHON" - "$SYM" <<'PY'
import json, sys
import anndata, numpy as np, pandas as pd
a, src = anndata.read_h5ad("pred/predictions.h5ad"), anndata.read_h5ad(sys.argv[1])
p = pd.read_csv("pred/predictions.csv", index_col=0)
assert list(p.index) == list(src.obs_names)
assert (a.obs["bmfm_pred_cell_type"].astype(str) == p["cell_type"].astype(str)).all()
assert a.obs[src.obs.columns].equals(src.obs) and (a.X != src.X).nnz == 0
prob = pd.read_csv("pred/probabilities.csv", index_col=0)
assert prob.shape == (1500, a.obsm["bmfm_prob_cell_type"].shape[1]) and prob.columns[0].startswith("cell_type_")
assert np.allclose(prob.values.sum(1), 1, atol=1e-5) and np.allclose(prob.values, a.obsm["bmfm_prob_cell_type"], atol=1e-6)
assert (prob.values.argmax(1) == pd.Categorical(p["cell_type"], categories=[c[len("cell_type_"):] for c in prob.columns]).codes).all()
test = (src.obs["batch"] == "5p").values
acc = (p["cell_type"].values[test] == src.obs["cell_type"].astype(str).values[test]).mean()
want = json.load(open("scratch/metrics.json"))["cell_type"]["test"]["accuracy"]
print(f"predict on the test cells: accuracy {acc:.4f} (finetune reported {want:.4f})")
assert abs(acc - want) < 0.01, (acc, want)
PY
expect_exit 0 "$BMFM" predict --checkpoint scratch/checkpoints/best --input "$DATA/bmfm_zheng68k.h5ad" --output-dir pred2 --slim
expect_in "$WORK/err" "vocabulary genes are missing from this file"
expect_exit 1 "$BMFM" predict --checkpoint pre --input "$SYM" --output-dir pred3
expect_in "$WORK/err" "not a fine-tuned model"
expect_exit 1 "$BMFM" predict --checkpoint scratch --input "$DATA/scanpy_10x_mousebrain10k_1000genes.h5ad" --output-dir pred4
expect_in "$WORK/err" "none of its 1000 genes is in the model's vocabulary"
# 5. Regression and multi-label heads next to a classification head, then
# predict: metrics.json agrees with sklearn on the predictions of the test cells.
"$PYTHON" - "$SYM" <<'PY'
import sys
import anndata, numpy as np
a = anndata.read_h5ad(sys.argv[1])
counts = np.asarray(a.layers["counts"].sum(1)).ravel()
a.obs["log_depth"] = np.log1p(counts)                       # regression target
big = counts > np.median(counts)
a.obs["tags"] = [b + ("|deep" if d else "") for b, d in zip(a.obs["batch"].astype(str), big)]  # multi-label
a.obs.loc[a.obs_names[:5], "log_depth"] = np.nan            # missing values are left out
a.write_h5ad("sym_extra.h5ad")
PY
expect_exit 0 "$BMFM" finetune architecture="$CFG/wced.yaml" "architecture_overrides=[size=tiny]" --input sym_extra.h5ad \
  matrix=layers/counts "labels=[{name: cell_type}, {name: log_depth, kind: regression}, {name: tags, kind: multilabel}]" \
  split.mode=column split.column=batch "split.test_values=[5p]" trainer.max_epochs=1 bootstrap=0 --output-dir multi
expect_in multi/metrics.md "| regression | split | cells | MSE | MAE | R2 | Pearson r |"
expect_in multi/metrics.md "| multi-label | split |"
expect_exit 0 "$BMFM" predict --checkpoint multi --input sym_extra.h5ad matrix=layers/counts write_probabilities=true --output-dir pred_multi
"$PYTHON" - <<'PY'
import json
import anndata, numpy as np, pandas as pd
from sklearn.metrics import mean_squared_error, r2_score, f1_score, accuracy_score
m = json.load(open("multi/metrics.json"))
src = anndata.read_h5ad("sym_extra.h5ad")
p = pd.read_csv("pred_multi/predictions.csv", index_col=0, keep_default_na=False)
out = anndata.read_h5ad("pred_multi/predictions.h5ad")
test = (src.obs["batch"] == "5p").values
# regression: the predicted values on test cells with a target reproduce MSE and R2
y, has = src.obs["log_depth"].values, ~np.isnan(src.obs["log_depth"].values)
pred = p["log_depth"].astype(float).values
assert np.allclose(pred, out.obs["bmfm_pred_log_depth"].values, atol=1e-6)
r = m["log_depth"]["test"]
sel = test & has
assert r["n"] == sel.sum(), (r["n"], sel.sum())
assert abs(r["mse"] - mean_squared_error(y[sel], pred[sel])) < 1e-4 * max(1, r["mse"]), r
assert abs(r["r2"] - r2_score(y[sel], pred[sel])) < 1e-4, r
# multi-label: predicted sets ("a|b") reproduce subset accuracy and macro F1
classes = ["3pv1", "3pv2", "5p", "deep"]
def hot(values):
    return np.array([[c in v.split("|") for c in classes] for v in values], dtype=int)
Y, P = hot(src.obs["tags"].astype(str).values[test]), hot(p["tags"].values[test])
t = m["tags"]["test"]
assert abs(t["subset_accuracy"] - accuracy_score(Y, P)) < 1e-9, t
assert abs(t["macro_f1"] - f1_score(Y, P, average="macro", zero_division=0)) < 1e-9, t
prob = pd.read_csv("pred_multi/probabilities.csv", index_col=0)
assert [c for c in prob.columns if c.startswith("tags_")] == [f"tags_{c}" for c in classes]
assert "log_depth" not in prob.columns
print(f"regression test R2 {r['r2']:.3f}, multi-label subset accuracy {t['subset_accuracy']:.3f}: match sklearn")
PY
expect_exit 2 "$BMFM" finetune --checkpoint pre --input sym_extra.h5ad "labels=[{name: log_depth, kind: regression}]" \
  matrix=layers/counts --output-dir e6
expect_in "$WORK/err" "monitor val/r2 (mode max) or val/loss"
expect_exit 2 "$BMFM" finetune --checkpoint pre --input sym_extra.h5ad "labels=[{name: tags, kind: multilabel, loss: ce}]" \
  matrix=layers/counts --output-dir e7
expect_in "$WORK/err" "a multilabel label takes loss auto or bce"
echo "finetune e2e: ok"
