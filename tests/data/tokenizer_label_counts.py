#!/usr/bin/python3
"""Expected label-dictionary classes and per-class cell counts for
labels_test.cpp (LabelsRealData), computed independently of bmfm with Debian's
h5py straight from the h5ad's categorical encoding (codes + categories).

Run: /usr/bin/python3 tests/data/tokenizer_label_counts.py ../shared/data/bmfm_cellxgene_pretrain.h5ad

Dictionary rule being checked (docs/tokenizer.md): a categorical column's
classes are its categories in stored order, keeping only those some cell has
(code >= 0 and not "nan"); missing codes (-1) are not classes.
"""
import sys

import h5py
import numpy as np

path = sys.argv[1]
with h5py.File(path, "r") as f:
    for col in ["cell_type", "tissue", "donor_id"]:
        g = f["obs"][col]
        cats = [c.decode() if isinstance(c, bytes) else str(c) for c in g["categories"][:]]
        codes = g["codes"][:].astype(np.int64)
        counts = np.bincount(codes[codes >= 0], minlength=len(cats))
        classes = [(c, int(n)) for c, n in zip(cats, counts) if n > 0 and c not in ("", "nan", "NaN")]
        print(f"// {col}: {len(classes)} classes, {int((codes < 0).sum())} missing, n_obs {len(codes)}")
        print("{" + ", ".join(f'{{"{c}", {n}}}' for c, n in classes) + "},")
