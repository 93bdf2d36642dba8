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
for preset in wced mlm_rda mlm_multitask; do
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
echo "pretrain e2e: ok"
