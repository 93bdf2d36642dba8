#!/usr/bin/env bash
# Side by side on this machine: the small WCED training step in bmfm (bf16
# autocast default, and fp32) and the same model in Python PyTorch of the same
# version as bmfm's LibTorch (2.15, fp32 and bf16), same batch shape and thread
# count. Usage: bash bench/compare_train.sh [build/bmfm] [steps]
# (needs scripts/install-python-torch.sh once)
set -euo pipefail
cd "$(dirname "$0")/.."
BMFM=${1:-build/bmfm}
STEPS=${2:-10}
DATA=${BMFM_DATA_DIR:-../shared/data}/bmfm_cellxgene_pretrain.h5ad
OUT=$(mktemp -d /tmp/bmfm_compare.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
ARGS=(--config configs/wced.yaml size=small "data.inputs=[$DATA]" --output-dir "$OUT" --steps "$STEPS" --warmup 2)
echo "== bmfm, precision auto (bf16 autocast here)"
"$BMFM" bench train "${ARGS[@]}" 2>/dev/null
echo "== bmfm, fp32"
"$BMFM" bench train "${ARGS[@]}" trainer.precision=fp32 2>/dev/null | tail -2
# Same shape as the bmfm run: 16 cells x 512 positions, 18357 genes (the file's vocabulary).
PYTORCH=${BMFM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bmfm}/python-torch
[ -d "$PYTORCH/torch" ] || { echo "no Python PyTorch at $PYTORCH: run scripts/install-python-torch.sh" >&2; exit 2; }
export PYTHONPATH=$PYTORCH
echo "== Python PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
/usr/bin/python3 bench/train_step_pytorch.py --batch 16 --length 512 --vocab 18357 --threads "$(nproc)" --steps "$STEPS"
/usr/bin/python3 bench/train_step_pytorch.py --batch 16 --length 512 --vocab 18357 --threads "$(nproc)" --steps "$STEPS" --bf16
