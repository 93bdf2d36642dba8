#!/usr/bin/env python3
"""Inference of bmfm's small WCED encoder shape in Python PyTorch, for the
side-by-side embedding comparison (bench/compare_embed.sh, docs/performance.md):
gene embedding + MLP expression encoder, pre-norm nn.TransformerEncoder
(batch_first; in eval mode under inference_mode PyTorch takes its fused
"fast path" kernels), mean pooling over the gene positions. Random weights and
one cached batch of full-length cells (no padding): the fastest case for Python.

    PYTHONPATH=~/.cache/bmfm/python-torch /usr/bin/python3 bench/embed_pytorch.py --length 512 --batch 16 [--bf16]
"""
import argparse
import time

import torch
import torch.nn as nn

ap = argparse.ArgumentParser()
ap.add_argument("--hidden", type=int, default=256)
ap.add_argument("--layers", type=int, default=4)
ap.add_argument("--heads", type=int, default=4)
ap.add_argument("--intermediate", type=int, default=1024)
ap.add_argument("--vocab", type=int, default=18357)
ap.add_argument("--batch", type=int, default=16)
ap.add_argument("--length", type=int, default=512)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--cells", type=int, default=256)
ap.add_argument("--bf16", action="store_true")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.gene = nn.Embedding(a.vocab, a.hidden)
        self.expr = nn.Sequential(nn.Linear(1, 128), nn.GELU(), nn.Linear(128, a.hidden))
        layer = nn.TransformerEncoderLayer(a.hidden, a.heads, a.intermediate, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, a.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(a.hidden)

    def forward(self, genes, values):
        x = self.gene(genes) + self.expr(values.unsqueeze(-1))
        return self.norm(self.blocks(x)).mean(1)


model = Encoder().eval()
genes = torch.randint(0, a.vocab, (a.batch, a.length))
values = torch.rand(a.batch, a.length) * 5
with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
    model(genes, values)  # warm-up
    n, t0 = 0, time.perf_counter()
    while n < a.cells:
        model(genes, values)
        n += a.batch
    s = time.perf_counter() - t0
print(f"python pytorch {torch.__version__} {'bf16 autocast' if a.bf16 else 'fp32'}: {n / s:.1f} cells/s "
      f"({n} cells of length {a.length} in {s:.2f} s, batch {a.batch}, {a.threads} threads)")
