#!/usr/bin/env bash
# Data-parallel pretraining on c10d (Gloo, CPU) end to end on real data:
# 2 ranks with batch B end with the same weights as 1 process with batch 2B;
# bmfm launch trains, checkpoints and resumes; a resume with another world
# size, a missing rank and a killed rank are clear errors, and the last
# checkpoint stays intact.
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
CXG=$DATA/bmfm_cellxgene_pretrain.h5ad
[ -f "$CXG" ] || { echo "SKIP: no shared data at $DATA (set BMFM_DATA_DIR)"; exit 77; }
have_python_module numpy || { echo "SKIP: $PYTHON has no numpy"; exit 77; }
CFG=$BMFM_SOURCE_DIR/configs
PORT=$((20000 + $$ % 20000))  # distinct per test run: parallel runs do not meet at one rendezvous
cat > cmp.py <<'PY'
import json, sys
import numpy as np
def load(d):
    ix = json.load(open(d + "/index.json"))
    raw = open(d + "/tensors.bin", "rb").read()
    return {t["name"]: np.frombuffer(raw, dtype=np.float32, count=int(np.prod(t["shape"])), offset=t["offset"])
            for t in ix["tensors"] if t["name"].startswith("model/")}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys()
diff, name = max((float(np.abs(a[k] - b[k]).max()), k) for k in a)
print(f"max |weight difference| {diff:.3g} ({name})")
assert diff < float(sys.argv[3]), (diff, name)
PY

# 1. 2 ranks x batch 16 == 1 process x batch 32 (same cells per step: rank r
# takes positions r, r + 2, ... of the epoch order). fp32, no dropout, and loss
# terms whose per-rank normalisation is the same (every cell has 254 input
# genes; no gene dropout, which would vary that count), so averaging the
# ranks' gradients is the 32-cell gradient.
SAME=(--config "$CFG/wced.yaml" size=tiny "data.inputs=[$CXG]" trainer.max_steps=4 trainer.val_every=0
      trainer.warmup_steps=0 trainer.lr=1e-3 trainer.precision=fp32 model.dropout=0 transforms.dropout.mode=none
      "losses=[{field: wced, set: input, kind: mse}, {field: wced, set: input, kind: is_zero_bce}]")
expect_exit 0 "$BMFM" pretrain "${SAME[@]}" data.batch_size=32 --output-dir one
expect_exit 0 "$BMFM" launch --nproc-per-node 2 --master-port $PORT -- pretrain "${SAME[@]}" data.batch_size=16 --output-dir two
expect_in "$WORK/err" "[rank 0]"
expect_in "$WORK/err" "x 2 ranks"
expect_in "$WORK/err" "launch: all 2 ranks finished"
"$PYTHON" cmp.py one/checkpoints/last two/checkpoints/last 1e-5
"$PYTHON" - <<'PY'
import json
rows = lambda d: [j for j in map(json.loads, open(d + "/metrics.jsonl")) if j["split"] == "train"]
a, b = rows("one"), rows("two")
for x, y in zip(a, b):
    assert abs(x["train/loss"] - y["train/loss"]) < 1e-5, (x, y)
print("train/loss per step equal:", [round(r["train/loss"], 5) for r in a])
PY
# Rank 0 speaks for the job: rank 1 logs warnings and errors only.
grep -q "\[rank 1\].*\[info\]" "$WORK/err" && fail "rank 1 logged info lines"

# 1b. The contrastive term's negatives come from every rank: 2 ranks x 8 cells
# (two views each) train exactly like 1 process x 16 cells.
NCE=(--config "$CFG/wced.yaml" size=tiny "data.inputs=[$CXG]" trainer.max_steps=4 trainer.val_every=0
     trainer.warmup_steps=0 trainer.lr=1e-3 trainer.precision=fp32 model.dropout=0 model.cell_pooling=mean
     "losses=[{field: contrastive, kind: info_nce, temperature: 0.5}]")
expect_exit 0 "$BMFM" pretrain "${NCE[@]}" data.batch_size=16 --output-dir nce_one
expect_exit 0 "$BMFM" launch --nproc-per-node 2 --master-port $((PORT + 7)) -- pretrain "${NCE[@]}" data.batch_size=8 \
  --output-dir nce_two
"$PYTHON" cmp.py nce_one/checkpoints/last nce_two/checkpoints/last 1e-5
"$PYTHON" - <<'PY'
import json
rows = lambda d: [j for j in map(json.loads, open(d + "/metrics.jsonl")) if j["split"] == "train"]
for x, y in zip(rows("nce_one"), rows("nce_two")):
    assert abs(x["train/contrastive_info_nce"] - y["train/contrastive_info_nce"]) < 1e-5, (x, y)
print("contrastive loss, 1 x 16 vs 2 x 8: equal")
PY

# 2. bmfm launch: train, checkpoint, resume with the same world size; another world size is refused.
RUN=(--config "$CFG/wced.yaml" size=tiny "data.inputs=[$CXG]" trainer.val_every=3 trainer.checkpoint_every=3)
expect_exit 0 "$BMFM" launch --nproc-per-node 2 --master-port $((PORT + 1)) -- pretrain "${RUN[@]}" trainer.max_steps=6 --output-dir r
expect_exit 0 "$BMFM" launch --nproc-per-node 2 --master-port $((PORT + 2)) -- pretrain "${RUN[@]}" trainer.max_steps=9 \
  --output-dir r --resume r
expect_in "$WORK/err" "resumed from r/checkpoints/last: step 6"
"$PYTHON" - <<'PY'
import json
idx = json.load(open("r/checkpoints/last/index.json"))
assert idx["meta"]["step"] == 9 and idx["meta"]["world_size"] == 2, idx["meta"]
PY
expect_exit 1 "$BMFM" pretrain "${RUN[@]}" trainer.max_steps=12 --output-dir r --resume r
expect_in "$WORK/err" "written by a run with 2 rank(s), resumed with 1"

# 3. A rank that never comes: the rendezvous gives up after distributed.timeout_s, naming the address.
expect_exit 1 env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$((PORT + 3)) "$BMFM" pretrain "${RUN[@]}" \
  trainer.max_steps=2 distributed.timeout_s=3 --output-dir alone
expect_in "$WORK/err" "could not join the rendezvous at 127.0.0.1:$((PORT + 3)) with 2 ranks within 3 s"

# 4. Kill one rank mid-run: the launcher names it, stops the other, exits non-zero
# quickly; the last checkpoint written is complete.
set +e
"$BMFM" launch --nproc-per-node 2 --master-port $((PORT + 4)) --grace 5 -- pretrain "${RUN[@]}" trainer.max_steps=100000 \
  trainer.checkpoint_every=2 trainer.val_every=0 --output-dir k > k.out 2> k.err &
LAUNCH=$!
set -e
for _ in $(seq 1 300); do
  ls k/checkpoints/step-* >/dev/null 2>&1 && break
  sleep 0.2
done
ls k/checkpoints/step-* >/dev/null 2>&1 || { cat k.err; fail "no step checkpoint appeared"; }
VICTIM=$(sed -n 's/.*launch: rank 1 (local 1) is pid \([0-9]*\).*/\1/p' k.err)
[ -n "$VICTIM" ] || { cat k.err; fail "launcher did not print rank 1's pid"; }
START=$(date +%s)
kill -9 "$VICTIM"
set +e
wait $LAUNCH
RC=$?
set -e
ELAPSED=$(( $(date +%s) - START ))
[ "$RC" -ne 0 ] || fail "launch exited 0 after a rank was killed"
[ "$ELAPSED" -le 30 ] || fail "launch took ${ELAPSED}s to stop after rank 1 died"
expect_in k.err "launch: rank 1 (pid $VICTIM) was killed by signal 9"
"$PYTHON" - <<'PY'
import glob, json, os
import numpy as np
for d in sorted(glob.glob("k/checkpoints/step-*")):
    idx = json.load(open(d + "/index.json"))
    assert os.path.getsize(d + "/tensors.bin") == idx["tensors_bytes"], d
    for t in idx["tensors"]:
        np.frombuffer(open(d + "/tensors.bin", "rb").read(), dtype=np.uint8, count=t["nbytes"], offset=t["offset"])
print("killed run: checkpoints intact:", sorted(os.listdir("k/checkpoints")))
PY
# 5. srun-style: two processes that only have SLURM's variables.
PIDS=()
for r in 0 1; do
  env SLURM_PROCID=$r SLURM_NTASKS=2 SLURM_LOCALID=$r SLURM_NTASKS_PER_NODE=2 SLURM_JOB_NODELIST=localhost \
    MASTER_PORT=$((PORT + 5)) "$BMFM" pretrain "${RUN[@]}" trainer.max_steps=2 --output-dir s > s$r.out 2> s$r.err &
  PIDS+=($!)
done
wait "${PIDS[0]}" || { cat s0.err; fail "SLURM rank 0 failed"; }
wait "${PIDS[1]}" || { cat s1.err; fail "SLURM rank 1 failed"; }
expect_in s0.err "distributed: rank 0 of 2 (local 0 of 2, from slurm), Gloo, rendezvous localhost:$((PORT + 5))"
# 6. NCCL where it cannot run: config errors (exit 2) before any rendezvous,
# naming the key; a CUDA device on a machine without one is refused the same way.
expect_exit 2 env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$((PORT + 6)) "$BMFM" pretrain "${RUN[@]}" trainer.max_steps=2 \
  distributed.backend=nccl --output-dir n
expect_in "$WORK/err" "distributed.backend=nccl needs CUDA devices"
if ! "$BMFM" info --json --no-bench | grep -q '"cuda": true'; then
  expect_exit 2 env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$((PORT + 6)) "$BMFM" pretrain "${RUN[@]}" trainer.max_steps=2 \
    trainer.device=cuda --output-dir n
  expect_in "$WORK/err" "no usable CUDA device"
fi
echo "distributed e2e: ok (rank 1 killed, launcher exited $RC after ${ELAPSED}s)"
