"""Fixture for tests/model/bert_parity_test.cpp: a tiny Hugging Face BertModel
(transformers, eager attention, fp32) with random weights, run on random
embedded inputs with a padded row. bmfm's EncoderLayer stack (post-norm) loads
the same weights and must give the same last hidden state to 1e-5.

Run once (needs Python PyTorch and transformers: scripts/install-python-torch.sh,
then `pip install --target ~/.cache/bmfm/python-hf transformers==5.25.0`):
  PYTHONPATH=~/.cache/bmfm/python-hf:~/.cache/bmfm/python-torch \
    /usr/bin/python3 tests/tools/make_bert_parity.py tests/model/bert_parity.json
"""
import json
import sys

import torch
import transformers
from transformers import BertConfig, BertModel

torch.manual_seed(0)
H, LAYERS, HEADS, FF, B, L = 16, 2, 2, 32, 2, 6
cfg = BertConfig(hidden_size=H, num_hidden_layers=LAYERS, num_attention_heads=HEADS, intermediate_size=FF,
                 hidden_act="gelu", layer_norm_eps=1e-12, hidden_dropout_prob=0.0,
                 attention_probs_dropout_prob=0.0, vocab_size=8, max_position_embeddings=L,
                 attn_implementation="eager")
model = BertModel(cfg, add_pooling_layer=False).eval()
with torch.no_grad():
    # Every parameter random (LayerNorms too), so no term can be skipped unnoticed.
    for p in model.parameters():
        p.copy_(torch.randn_like(p) * 0.3)
    for name, p in model.named_parameters():
        if "LayerNorm.weight" in name:
            p.add_(1.0)

x = torch.randn(B, L, H)
mask = torch.ones(B, L, dtype=torch.long)
mask[1, 4:] = 0  # the second cell's last two positions are padding
with torch.no_grad():
    out = model(inputs_embeds=x, attention_mask=mask, output_hidden_states=True)
h0 = out.hidden_states[0]  # the encoder's input (after the embeddings' LayerNorm)
last = out.last_hidden_state


def t(v):
    return {"shape": list(v.shape), "values": [float(f"{a:.9g}") for a in v.detach().reshape(-1).tolist()]}


layers = []
for layer in model.encoder.layer:
    a = layer.attention
    layers.append({
        "query.weight": t(a.self.query.weight), "query.bias": t(a.self.query.bias),
        "key.weight": t(a.self.key.weight), "key.bias": t(a.self.key.bias),
        "value.weight": t(a.self.value.weight), "value.bias": t(a.self.value.bias),
        "attention.output.dense.weight": t(a.output.dense.weight),
        "attention.output.dense.bias": t(a.output.dense.bias),
        "attention.output.LayerNorm.weight": t(a.output.LayerNorm.weight),
        "attention.output.LayerNorm.bias": t(a.output.LayerNorm.bias),
        "intermediate.dense.weight": t(layer.intermediate.dense.weight),
        "intermediate.dense.bias": t(layer.intermediate.dense.bias),
        "output.dense.weight": t(layer.output.dense.weight), "output.dense.bias": t(layer.output.dense.bias),
        "output.LayerNorm.weight": t(layer.output.LayerNorm.weight),
        "output.LayerNorm.bias": t(layer.output.LayerNorm.bias),
    })
fixture = {
    "generator": f"tests/tools/make_bert_parity.py (torch {torch.__version__}, transformers {transformers.__version__})",
    "hidden_size": H, "num_heads": HEADS, "intermediate_size": FF, "layer_norm_eps": 1e-12,
    "attention_mask": t(mask.float()), "encoder_input": t(h0), "last_hidden_state": t(last), "layers": layers,
}
with open(sys.argv[1], "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(f"wrote {sys.argv[1]}: max |last| {last.abs().max():.3f}")
