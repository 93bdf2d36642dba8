#!/usr/bin/python3
"""Expected values for tests/data/gene_mapping_test.cpp, computed without bmfm.

Run with Debian's python (h5py + numpy), not a pyenv python:

    /usr/bin/python3 tests/data/vocab_gene_mapping_expected.py [DATA_DIR]   (default ../shared/data)

Vocabularies come from genes/hgnc_genes.tsv: the `symbol` column, and the
non-empty `ensembl_gene_id` column with duplicates removed (first appearance
kept). cellbench_lung_celllines_5batch.h5ad is mapped twice: its var index
(Ensembl ids) against the Ensembl vocabulary, and its `gene_symbol` column
(categorical) against the symbol vocabulary. Matching is exact and
case-sensitive. Reported per mapping: mapped / unmapped var columns, mapped
columns whose gene an earlier column already took (duplicates), the first 10
unmapped names, and the total and unmapped-gene sums of X over all cells and
over rows [100, 600), accumulated in float64.
"""
import csv
import os
import sys

import h5py
import numpy as np

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")


def read_hgnc():
    with open(os.path.join(DATA, "genes", "hgnc_genes.tsv"), newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    symbols = [r["symbol"] for r in rows]
    ensembl, seen = [], set()
    for r in rows:
        e = r["ensembl_gene_id"]
        if e and e not in seen:
            seen.add(e)
            ensembl.append(e)
    return symbols, ensembl


def var_names(f, column):
    var = f["var"]
    if column is None:
        return [x.decode() for x in var[var.attrs["_index"]][:]]
    g = var[column]
    cats = [x.decode() for x in g["categories"][:]]
    return [cats[c] if c >= 0 else "" for c in g["codes"][:]]


def report(tag, names, vocab, X_indptr, X_indices, X_data):
    vocab_set = set(vocab)
    mapped = np.array([n in vocab_set for n in names])
    taken, dup = set(), 0
    for n in names:
        if n in vocab_set:
            if n in taken:
                dup += 1
            taken.add(n)
    unmapped_examples = [n for n in names if n not in vocab_set][:10]
    unmapped_col = ~mapped
    data = X_data.astype(np.float64)
    total = data.sum()
    unmapped = data[unmapped_col[X_indices]].sum()
    lo, hi = X_indptr[100], X_indptr[600]
    total_r = data[lo:hi].sum()
    unmapped_r = data[lo:hi][unmapped_col[X_indices[lo:hi]]].sum()
    print(f"// {tag}")
    print(f"//   n_vars={len(names)} n_mapped={int(mapped.sum())} n_unmapped={int((~mapped).sum())} "
          f"n_duplicates={dup} distinct_mapped={len(taken)}")
    print(f"//   unmapped_examples={unmapped_examples}")
    print(f"//   all rows: total={total!r} unmapped={unmapped!r} fraction={unmapped / total!r}")
    print(f"//   rows [100, 600): total={total_r!r} unmapped={unmapped_r!r} fraction={unmapped_r / total_r!r}")


def main():
    symbols, ensembl = read_hgnc()
    print(f"// hgnc: {len(symbols)} symbols, {len(ensembl)} distinct Ensembl ids")
    with h5py.File(os.path.join(DATA, "cellbench_lung_celllines_5batch.h5ad"), "r") as f:
        X = f["X"]
        indptr, indices, data = X["indptr"][:], X["indices"][:], X["data"][:]
        report("cellbench var index vs HGNC Ensembl ids", var_names(f, None), ensembl, indptr, indices, data)
        report("cellbench gene_symbol vs HGNC symbols", var_names(f, "gene_symbol"), symbols, indptr, indices, data)


if __name__ == "__main__":
    main()
