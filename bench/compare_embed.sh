#!/usr/bin/env bash
# Side by side on this machine: `bmfm bench embed` (read + transforms +
# tokenizer + encoder + pooling, small WCED shape, max_length 512, batch 16;
# bf16 autocast and fp32) and the same encoder shape in Python PyTorch of the
# same version (bench/embed_pytorch.py: nn.TransformerEncoder inference fast
# path, a cached batch of full-length cells). Usage: bash bench/compare_embed.sh [build/bmfm]
# (needs scripts/install-python-torch.sh once)
set -euo pipefail
cd "$(dirname "$0")/.."
BMFM=${1:-build/bmfm}
DATA=${BMFM_DATA_DIR:-../shared/data}/bmfm_cellxgene_pretrain.h5ad
OUT=$(mktemp -d /tmp/bmfm_compare_embed.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
ARGS=(--config configs/wced.yaml size=small tokenizer.max_length=512 "data.inputs=[$DATA]" --output-dir "$OUT"
      --batch-size 16 --repeats 1)
echo "== bmfm, precision auto (bf16 autocast here)"
"$BMFM" bench embed "${ARGS[@]}" 2>/dev/null
echo "== bmfm, fp32"
"$BMFM" bench embed "${ARGS[@]}" trainer.precision=fp32 2>/dev/null
PYTORCH=${BMFM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bmfm}/python-torch
[ -d "$PYTORCH/torch" ] || { echo "no Python PyTorch at $PYTORCH: run scripts/install-python-torch.sh" >&2; exit 2; }
export PYTHONPATH=$PYTORCH
echo "== Python PyTorch (same shape: 16 cells x 512 positions, 18357 genes)"
/usr/bin/python3 bench/embed_pytorch.py --threads "$(nproc)"
/usr/bin/python3 bench/embed_pytorch.py --threads "$(nproc)" --bf16
