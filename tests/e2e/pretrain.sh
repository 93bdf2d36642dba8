#!/usr/bin/env bash
# bmfm pretrain end to end on a real file: every preset at size=tiny learns
# (validation loss falls), writes checkpoints and its config; --resume
# continues bit-exactly; bad checkpoints and configs are clear errors.
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
[ -f "$DATA/bmfm_cellxgene_pretrain.h5ad" ] || { echo "SKIP: no shared data at $DATA (set BMFM_DATA_DIR)"; exit 77; }
have_python_module numpy || { echo "SKIP: $PYTHON has no numpy"; exit 77; }
CXG=$DATA/bmfm_cellxgene_pretrain.h5ad
CFG=$BMFM_SOURCE_DIR/configs
COMMON=("data.inputs=[$CXG]" data.val_fraction=0.1 trainer.warmup_steps=5 trainer.log_every=5 trainer.lr=1e-3)

# 1. Each preset at size=tiny: validation loss falls; checkpoints, config and logs written.
for preset in wced mlm_rda mlm_multitask wced_multitask; do
  expect_exit 0 "$BMFM" pretrain --config "$CFG/$preset.yaml" size=tiny "${COMMON[@]}" \
    trainer.max_steps=40 trainer.val_every=20 --output-dir "run_$preset"
  for f in config.yaml bmfm.log metrics.csv metrics.jsonl checkpoints/last/index.json checkpoints/last/tensors.bin \
           checkpoints/last/config.yaml checkpoints/last/vocab.json checkpoints/best/index.json; do
    test -f "run_$preset/$f" || fail "$preset: missing $f"
  done
  ls run_$preset/tensorboard/events.out.tfevents.* >/dev/null || fail "$preset: no TensorBoard events"
  "$PYTHON" - "run_$preset" "$preset" <<'PY'
import json, sys
d, preset = sys.argv[1:]
val = [j for j in map(json.loads, open(d + "/metrics.jsonl")) if j["split"] == "val"]
assert len(val) >= 2, val
first, last = val[0]["val/loss"], val[-1]["val/loss"]
print(f"{preset}: val/loss {first:.4f} -> {last:.4f}")
assert last < first, (preset, first, last)
PY
done

# 1a. Multitask presets: the label heads (cell type, tissue, tissue_general,
# donor behind gradient reversal) are trained and logged with the objective;
# the checkpoint carries its label dictionary; fine-tuning picks up a head of
# the same column by name; embedding works from the multitask checkpoint.
"$PYTHON" - <<'PY'
import json
for preset in ["mlm_multitask", "wced_multitask"]:
    val = [j for j in map(json.loads, open(f"run_{preset}/metrics.jsonl")) if j["split"] == "val"]
    for col in ["cell_type", "tissue", "tissue_general", "donor_id"]:
        assert f"val/label_{col}_ce" in val[-1], (preset, sorted(val[-1]))
    d = json.load(open(f"run_{preset}/checkpoints/last/labels.json"))
    assert list(d["columns"]) == ["cell_type", "tissue", "tissue_general", "donor_id"], list(d["columns"])
    idx = json.load(open(f"run_{preset}/checkpoints/last/index.json"))
    names = {t["name"] for t in idx["tensors"]}
    assert "model/label_heads.heads.donor_id.0.weight" in names, preset
print("multitask presets: label terms logged, heads and label dictionary checkpointed")
PY
expect_exit 0 "$BMFM" finetune --checkpoint run_wced_multitask --input "$CXG" "labels=[{name: cell_type}, {name: tissue_general}]" \
  split.mode=random trainer.max_epochs=1 bootstrap=0 --output-dir ft_multitask
expect_in "$WORK/err" "head 'cell_type' from the checkpoint's multitask head"
expect_in "$WORK/err" "head 'tissue_general' from the checkpoint's multitask head"
expect_exit 0 "$BMFM" embed --checkpoint run_mlm_multitask --input "$CXG" --slim --output-dir emb_multitask
# A label loss on a column the data does not carry names the loss and the fix.
expect_exit 1 "$BMFM" pretrain --config "$CFG/wced_multitask.yaml" size=tiny "${COMMON[@]}" trainer.max_steps=2 \
  "data.label_columns=[{name: cell_type}]" --output-dir bad_label
expect_in "$WORK/err" "obs column 'tissue' is not one of the data's label columns [cell_type]"

# 1b. Binned expressions (scGPT bins) with bin cross entropy + token-value loss.
expect_exit 0 "$BMFM" pretrain --config "$CFG/mlm_multitask.yaml" size=tiny "${COMMON[@]}" trainer.max_steps=30 \
  trainer.val_every=15 transforms.binning.method=scgpt transforms.binning.n_bins=51 \
  "tokenizer.fields=[{name: genes, tokenize: token, change_ratio: 0.15}, {name: expressions, tokenize: binned, n_values: 51, change_ratio: 0.15}]" \
  "losses=[{field: genes, kind: ce}, {field: expressions, kind: ce}, {field: expressions, kind: token_value, weight: 0.1}]" \
  --output-dir run_binned
"$PYTHON" - <<'PY'
import json
val = [j for j in map(json.loads, open("run_binned/metrics.jsonl")) if j["split"] == "val"]
assert "val/expressions_token_value" in val[-1] and val[-1]["val/loss"] < val[0]["val/loss"], val
print(f"binned: val/loss {val[0]['val/loss']:.4f} -> {val[-1]['val/loss']:.4f}")
PY

# 2. Exact resume: 8 steps straight vs 4 steps + --resume for 4 more, with a
# decaying learning rate, dropout and 2 loader threads: identical weights.
RESUME=("data.inputs=[$CXG]" trainer.max_steps=8 trainer.warmup_steps=2 trainer.val_every=0 trainer.checkpoint_every=4
        trainer.precision=fp32 trainer.lr=1e-3 size=tiny)
expect_exit 0 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" --output-dir straight
test -f straight/checkpoints/step-00000004/index.json || fail "no step-4 checkpoint"
expect_exit 0 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" --output-dir resumed \
  --resume straight/checkpoints/step-00000004
expect_in "$WORK/err" "resumed from straight/checkpoints/step-00000004: step 4"
"$PYTHON" - straight/checkpoints/last resumed/checkpoints/last <<'PY'
import json, sys
import numpy as np
def load(d):
    ix = json.load(open(d + "/index.json"))
    raw = open(d + "/tensors.bin", "rb").read()
    return ix["meta"], {e["name"]: raw[e["offset"]:e["offset"] + e["nbytes"]] for e in ix["tensors"]}
(ma, a), (mb, b) = load(sys.argv[1]), load(sys.argv[2])
assert ma["step"] == mb["step"] == 8 and ma["loader"] == mb["loader"], (ma, mb)
assert a.keys() == b.keys()
diff = [k for k in a if a[k] != b[k]]
assert not diff, f"tensors differ after resume: {diff[:5]}"
print(f"resume: {len(a)} tensors bit-identical, loader {ma['loader']}")
PY

# 3. Errors: the run folder is not overwritten; bad checkpoints are named.
expect_exit 2 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" --output-dir straight
expect_in "$WORK/err" "already holds a training run"
expect_exit 1 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" --output-dir r2 --resume nowhere
expect_in "$WORK/err" "--resume nowhere: neither a checkpoint"
cp -r straight/checkpoints/last broken
truncate -s -100 broken/tensors.bin
expect_exit 1 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" --output-dir r3 --resume broken
expect_in "$WORK/err" "truncated"
# A checkpoint over another vocabulary (a different input file) is refused.
expect_exit 1 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" "data.inputs=[$DATA/bmfm_zheng68k.h5ad]" \
  --output-dir r4 --resume straight
expect_in "$WORK/err" "vocabulary hash"
# A loss whose targets the data does not produce: exit 2 naming the loss.
expect_exit 1 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" "losses=[{field: genes, kind: ce}]" --output-dir r5
expect_in "$WORK/err" "losses[0] (genes_ce): needs masked genes"
expect_exit 2 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" "losses=[{field: wced, kind: ce}]" --output-dir r6
expect_in "$WORK/err" "losses[0].kind"

# 4. Pretrained gene vectors (gene2vec text, 8-d, 3 genes): covered rows are
# copied in and, frozen, stay exactly as in the file; 8 != 64 adds a projection.
"$PYTHON" - "$CXG" <<'PY'
import anndata, sys
genes = list(anndata.read_h5ad(sys.argv[1], backed="r").var_names[:3])
with open("g2v.txt", "w") as f:
    for i, g in enumerate(genes):
        f.write(g + " " + " ".join(str(0.125 * (i + 1) * (k + 1)) for k in range(8)) + "\n")
PY
expect_exit 0 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" model.gene_embedding.file=g2v.txt \
  model.gene_embedding.freeze_covered=true --output-dir g2v
expect_in "$WORK/err" "3 of 18357 genes covered (8-d, projected to 64), covered rows frozen"
"$PYTHON" - g2v/checkpoints/last g2v.txt <<'PY'
import json, sys
import numpy as np
d = sys.argv[1]
ix = json.load(open(d + "/index.json"))
vocab = json.load(open(d + "/vocab.json"))
tokens = vocab["specials"] + vocab["genes"]
e = next(e for e in ix["tensors"] if e["name"] == "model/bert.embeddings.gene.weight")
w = np.fromfile(d + "/tensors.bin", dtype=e["dtype"], count=int(np.prod(e["shape"])), offset=e["offset"]).reshape(e["shape"])
assert w.shape[1] == 8, w.shape
for line in open(sys.argv[2]):
    g, *v = line.split()
    assert np.array_equal(w[tokens.index(g)], np.array(v, dtype=np.float32)), g
assert any(e["name"] == "model/bert.embeddings.gene_proj.weight" for e in ix["tensors"])
print("gene2vec rows frozen after 8 steps")
PY

# 5. Early stopping: an impossible min_delta stops after the second validation.
expect_exit 0 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" trainer.val_every=2 \
  trainer.early_stopping.patience=1 trainer.early_stopping.min_delta=100 --output-dir early
expect_in "$WORK/err" "early stopping: val/loss did not improve for 1 validations"
expect_in "$WORK/err" "pretrain: 4 steps"

# 6. A diverging run stops with a clear error and keeps its checkpoints.
expect_exit 1 "$BMFM" pretrain --config "$CFG/wced.yaml" "${RESUME[@]}" trainer.lr=1e30 trainer.clip_grad_norm=0 \
  trainer.checkpoint_every=1 trainer.warmup_steps=0 --output-dir diverge
expect_in "$WORK/err" "(not finite); stopped"
test -f diverge/checkpoints/step-00000001/index.json || fail "no checkpoint kept from before the divergence"
# 7. Input honesty: a log-normalised X would be normalised and logged again;
# pretraining says so, naming the file, the matrix and the fix.
"$PYTHON" - "$CXG" <<'PY'
import sys
import anndata, numpy as np, scipy.sparse as sp
a = anndata.read_h5ad(sys.argv[1])[:40].copy()
X = sp.csr_matrix(a.X, dtype=np.float32)
X = sp.diags(1e4 / np.asarray(X.sum(1)).ravel()) @ X
X.data = np.log1p(X.data)
a.X = sp.csr_matrix(X, dtype=np.float32)
a.write_h5ad("lognorm.h5ad")
PY
expect_exit 0 "$BMFM" pretrain --config "$CFG/wced.yaml" size=tiny "data.inputs=[lognorm.h5ad]" trainer.max_steps=2 \
  trainer.val_every=0 --output-dir lognorm_run
expect_in "$WORK/err" "lognorm.h5ad X does not look like raw counts"
expect_in "$WORK/err" "as in log-normalised data"
expect_in "$WORK/err" "transforms.normalize.enabled=false"
echo "pretrain e2e: ok"
