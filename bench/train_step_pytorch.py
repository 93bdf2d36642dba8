#!/usr/bin/env python3
"""The WCED training step of `bmfm bench train` written in Python PyTorch, for a
side-by-side speed comparison (docs/performance.md). Same model as bmfm's
(post-norm BERT with a fused QKV projection, MLP expression encoder with learned
special/zero embeddings, WCED head on CLS with MSE + is-zero BCE), same AdamW,
same batch shape; one cached batch, fp32 by default as a plain PyTorch user
would run it.

    /usr/bin/python3 bench/train_step_pytorch.py --hidden 256 --layers 4 --heads 4 \
        --intermediate 1024 --batch 16 --length 512 --vocab 18357 --threads 2
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, h, heads, inter, p):
        super().__init__()
        self.heads, self.p = heads, p
        self.qkv, self.out = nn.Linear(h, 3 * h), nn.Linear(h, h)
        self.ff_in, self.ff_out = nn.Linear(h, inter), nn.Linear(inter, h)
        self.n1, self.n2 = nn.LayerNorm(h, eps=1e-12), nn.LayerNorm(h, eps=1e-12)

    def forward(self, x, mask):
        B, L, H = x.shape
        q, k, v = self.qkv(x).view(B, L, 3, self.heads, H // self.heads).permute(2, 0, 3, 1, 4)
        s = (q * (q.shape[-1] ** -0.5)) @ k.transpose(-2, -1) + mask
        a = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, L, H)
        h = self.n1(x + F.dropout(self.out(a), self.p, self.training))
        return self.n2(h + F.dropout(self.ff_out(F.gelu(self.ff_in(h))), self.p, self.training))


class Wced(nn.Module):
    def __init__(self, vocab, h, layers, heads, inter, p=0.1):
        super().__init__()
        self.V, self.p = vocab, p
        self.gene = nn.Embedding(vocab + 5, h)
        self.e_in, self.e_out = nn.Linear(1, 128), nn.Linear(128, h)
        self.special = nn.Embedding(6, h)
        self.norm = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList(Layer(h, heads, inter, p) for _ in range(layers))
        self.dense, self.hnorm, self.dec = nn.Linear(h, h), nn.LayerNorm(h, eps=1e-12), nn.Linear(h, 2 * vocab)

    def forward(self, genes, values, special, mask):
        code = torch.where((special == 0) & (values == 0), torch.full_like(special, 5), special)
        enc = self.e_out(F.leaky_relu(self.e_in(values.unsqueeze(-1)), 0.01))
        x = self.gene(genes) + torch.where((code > 0).unsqueeze(-1), self.special(code), enc)
        x = F.dropout(self.norm(x), self.p, self.training)
        for layer in self.layers:
            x = layer(x, mask)
        # fp32 into the LayerNorm: 1.13 CPU LayerNorm takes no bf16 input with fp32 weights
        w = self.dec(self.hnorm(F.gelu(self.dense(x[:, 0])).float())).view(-1, 2, self.V)
        return w[:, 0], w[:, 1]


def masked_mean(x, m):
    m = m.float()
    return (x * m).sum() / m.sum().clamp_min(1)


def main():
    ap = argparse.ArgumentParser()
    for k, v in dict(hidden=256, layers=4, heads=4, intermediate=1024, batch=16, length=512, vocab=18357,
                     threads=2, steps=10, warmup=3).items():
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--bf16", action="store_true", help="CPU autocast to bfloat16")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Wced(a.vocab, a.hidden, a.layers, a.heads, a.intermediate)
    decay = [p for n, p in model.named_parameters() if n.endswith("weight") and "norm" not in n
             and not n.startswith(("gene", "special"))]
    rest = [p for p in model.parameters() if all(p is not d for d in decay)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.99))
    B, L, V = a.batch, a.length, a.vocab
    genes = torch.randint(5, V + 5, (B, L))
    values = torch.rand(B, L) * 3
    values[torch.rand(B, L) < 0.2] = 0
    special = torch.zeros(B, L, dtype=torch.long)
    special[:, 0], special[:, -1] = 3, 1
    mask = torch.zeros(B, 1, 1, L)
    target = torch.rand(B, V) * 3
    target[torch.rand(B, V) < 0.5] = 0
    wset = torch.randint(0, 3, (B, V))
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            value, zero = model(genes, values, special, mask)
        value, zero = value.float(), zero.float()
        y = (target == 0).float()
        bce = torch.clamp_min(zero, 0) - zero * y + torch.log1p(torch.exp(-zero.abs()))
        loss = 0
        for s in (wset == 1, wset == 2):
            loss = loss + masked_mean((value - target) ** 2, s & (target != 0)) + masked_mean(bce, s)
        (loss / 4).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item() / 4

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    s = time.perf_counter() - t0
    print(f"python pytorch {torch.__version__} {'bf16 autocast' if a.bf16 else 'fp32'}: "
          f"{a.steps * B / s:.1f} cells/s ({a.steps} steps of {B} x {L} in {s:.2f} s, {a.threads} threads, loss {loss:.4f})")


if __name__ == "__main__":
    main()
