#!/usr/bin/env bash
# bmfm benchmark's annotation half on real data: each dataset's label fine-tuned
# with the registry's split per method (pca_knn, scratch, checkpoint), the
# numbers identical to the per-run metrics and to a standalone bmfm finetune; a
# broken dataset is reported while the others still run; config mistakes are
# usage errors naming the key.
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
export BMFM_DATA_DIR=$DATA  # the registry entries read their paths from it
SYM=$DATA/symphony_pbmc_3batch_1500.h5ad
[ -f "$SYM" ] || { echo "SKIP: no shared data at $DATA (set BMFM_DATA_DIR)"; exit 77; }
have_python_module numpy || { echo "SKIP: $PYTHON has no numpy"; exit 77; }
CFG=$BMFM_SOURCE_DIR/configs
FAST=(annotation.trainer.max_epochs=2 annotation.bootstrap=200)

# 1. pca_knn + scratch + checkpoint on the symphony cross-batch split (test 5p),
# with the zero-shot half too.
expect_exit 0 "$BMFM" pretrain --config "$CFG/wced.yaml" size=tiny "data.inputs=[$SYM]" data.matrix=layers/counts \
  trainer.max_steps=10 trainer.val_every=0 --output-dir pre
expect_exit 0 "$BMFM" benchmark --config "$CFG/benchmark/annotation.yaml" datasets=[symphony_pbmc_3batch_1500] \
  "${FAST[@]}" checkpoint=pre "zero_shot.methods=[pca]" zero_shot.umap=false --output-dir ba
expect_in "$WORK/err" "symphony_pbmc_3batch_1500 / annotation checkpoint: test accuracy"
for f in results.json results.md report.html annotation/symphony_pbmc_3batch_1500/scratch/metrics.json \
         annotation/symphony_pbmc_3batch_1500/checkpoint/checkpoints/best/index.json; do
  test -f "ba/$f" || fail "missing ba/$f"
done
expect_in ba/results.md "# Cell-type annotation (fine-tuned; test cells)"
expect_in ba/results.md "| symphony_pbmc_3batch_1500 | batch (test 5p) |"
expect_in ba/results.md "# Zero-shot benchmark (scib metrics)"
expect_in ba/report.html "Cell-type annotation (fine-tuned, test cells)"
# The standalone baseline with the same split gives the same numbers.
expect_exit 0 "$BMFM" finetune baseline=pca_knn --input "$SYM" "labels=[{name: cell_type}]" matrix=layers/counts \
  split.mode=column split.column=batch "split.test_values=[5p]" bootstrap=200 --output-dir knn
"$PYTHON" - <<'PY'
import json
r = json.load(open("ba/results.json"))
d = r["datasets"][0]
ann = {a["method"]: a for a in d["annotation"]}
assert list(ann) == ["pca_knn", "scratch", "checkpoint"], list(ann)
for m, a in ann.items():
    own = json.load(open(f"ba/annotation/symphony_pbmc_3batch_1500/{m}/metrics.json"))["cell_type"]["test"]
    assert a["cells"]["test"] == own["n"] == 543, (m, a["cells"], own["n"])
    for k in ["accuracy", "macro_f1", "balanced_accuracy"]:
        assert a["test"][k] == own[k], (m, k, a["test"][k], own[k])
    assert a["test"]["accuracy_ci95"] == own["accuracy_ci95"], m
knn = json.load(open("knn/metrics.json"))["cell_type"]["test"]
assert ann["pca_knn"]["test"]["accuracy"] == knn["accuracy"] and ann["pca_knn"]["test"]["macro_f1"] == knn["macro_f1"]
assert d["methods"][0]["method"] == "pca"  # the zero-shot half ran too
print("annotation benchmark:", {m: round(a["test"]["accuracy"], 4) for m, a in ann.items()})
PY

# 2. A dataset that cannot be read is reported; the others still run (exit 1).
cat > broken.yaml <<'YAML'
name: broken
path: does_not_exist.h5ad
label_key: cell_type
batch_key: batch
YAML
expect_exit 1 "$BMFM" benchmark --config "$CFG/benchmark/annotation.yaml" "datasets=[broken.yaml,symphony_pbmc_3batch_1500]" \
  "annotation.methods=[pca_knn]" "${FAST[@]}" --output-dir bb
expect_in bb/results.md "broken / annotation pca_knn"
expect_in bb/results.md "does_not_exist.h5ad"
expect_in bb/results.md "| symphony_pbmc_3batch_1500 | batch (test 5p) | 0.9"

# 3. Config mistakes: exit 2 naming the key.
expect_exit 2 "$BMFM" benchmark --config "$CFG/benchmark/annotation.yaml" "annotation.methods=[svm]" --output-dir bc
expect_in "$WORK/err" "unknown method 'svm'"
expect_exit 2 "$BMFM" benchmark --config "$CFG/benchmark/annotation.yaml" annotation.trainer.val_batches=2 --output-dir bc
expect_in "$WORK/err" "annotation.trainer.val_batches"
expect_in "$WORK/err" "not supported yet"
expect_exit 2 "$BMFM" benchmark --config "$CFG/benchmark/annotation.yaml" "annotation.methods=[]" --output-dir bc
expect_in "$WORK/err" "nothing to run"
expect_exit 2 "$BMFM" benchmark --config "$CFG/benchmark/annotation.yaml" "annotation.methods=[checkpoint]" --output-dir bc
expect_in "$WORK/err" "annotation.methods lists 'checkpoint': set checkpoint=DIR"
echo "benchmark annotation e2e: ok"
