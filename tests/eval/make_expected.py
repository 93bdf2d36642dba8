#!/usr/bin/python3
"""Expected values for tests/eval/*_test.cpp, computed independently of bmfm.

    /usr/bin/python3 tests/eval/make_expected.py [DATA_DIR]    (default ../shared/data)

Writes tests/eval/eval_expected.h (small synthetic case + scalars of the real
case) and tests/eval/fixtures/symphony_* (the real embedding and the arrays too
large to paste). Uses only Debian's numpy 1.24 / scipy 1.10 / sklearn 1.2 /
anndata 0.8, plus python3-igraph + python3-leidenalg 0.9 when installed (for the
loose Leiden comparison only). Every reference is written here from the
algorithm's definition, not from bmfm:

* kNN: float64 brute force over the float32 embedding; d2 accumulated one
  dimension at a time (the order bmfm uses, so exactly tied distances stay
  tied), sorted by (d2, index), the cell itself first.
* connectivities: UMAP's fuzzy_simplicial_set (umap-learn 0.5 semantics, as
  scanpy's pp.neighbors calls it) written in numpy from its description:
  rho = first nonzero neighbour distance; sigma by 64 bisection steps to
  sum_{j>=1} exp(-max(0, d_j - rho)/sigma) = log2(k) (tolerance 1e-5), floored at
  1e-3 * mean distance; a_ij = exp(-(d_ij - rho_i)/sigma_i) (float32), self 0;
  union A + A^T - A*A^T via scipy.sparse.
* silhouette: sklearn.metrics.silhouette_samples on the float64 upcast of the
  float32 embedding (sklearn computes in float32 for float32 input).
* ASW_label = (silhouette_score + 1) / 2; ASW_batch = scib's silhouette_batch
  loop (per label: skip one batch or one cell per batch; mean(1 - |s|); mean over
  labels).
* graph connectivity: scipy.sparse.csgraph.connected_components per label.
* NMI / ARI: sklearn normalized_mutual_info_score / adjusted_rand_score.
* Leiden (loose check): leidenalg RBConfigurationVertexPartition on the
  connectivities as scanpy's tl.leiden builds the graph (directed, weighted),
  n_iterations=-1, seed 0, resolutions 0.1..2.0, first best NMI (scib).

The real embedding: symphony_pbmc_3batch_1500.h5ad X (log-normalised CSR) ->
dense float64 -> centred columns -> SVD -> first 50 principal component
scores, stored as float32 (sign of each component fixed so its largest
absolute entry is positive).
"""
import os
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_samples

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
DATA = ARGS[0] if ARGS else os.path.join(HERE, "..", "..", "..", "shared", "data")
FIX = os.path.join(HERE, "fixtures")
K = 15


# ---------------------------------------------------------------- references
def knn_bruteforce(X32, k):
    X = X32.astype(np.float64)
    n, d = X.shape
    d2 = np.zeros((n, n))
    for c in range(d):
        diff = X[:, None, c] - X[None, :, c]
        d2 += diff * diff
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    cols = np.arange(n)
    for i in range(n):
        others = cols[cols != i]
        order = np.lexsort((others, d2[i, others]))[: k - 1]
        nb = others[order]
        idx[i, 0] = i
        idx[i, 1:] = nb
        dist[i, 0] = 0.0
        dist[i, 1:] = np.sqrt(d2[i, nb]).astype(np.float32)
    return idx, dist


def smooth_knn_dist(dist, k, n_iter=64, local_connectivity=1.0):
    target = np.log2(k)
    n = dist.shape[0]
    rho = np.zeros(n, dtype=np.float32)
    sigma = np.zeros(n, dtype=np.float32)
    mean_all = dist.astype(np.float64).mean()
    for i in range(n):
        di = dist[i]
        nz = di[di > 0.0]
        if nz.shape[0] >= local_connectivity:
            rho[i] = nz[int(np.floor(local_connectivity)) - 1]
        elif nz.shape[0] > 0:
            rho[i] = nz.max()
        lo, hi, mid = 0.0, np.inf, 1.0
        for _ in range(n_iter):
            dd = (di[1:] - rho[i]).astype(np.float32).astype(np.float64)
            psum = np.where(dd > 0, np.exp(-np.maximum(dd, 0) / mid), 1.0)
            # sequential sum, as umap's loop does
            s = 0.0
            for v in psum:
                s += v
            if abs(s - target) < 1e-5:
                break
            if s > target:
                hi = mid
                mid = (lo + hi) / 2.0
            else:
                lo = mid
                mid = mid * 2 if hi == np.inf else (lo + hi) / 2.0
        sigma[i] = np.float32(mid)
        floor = 1e-3 * (di.astype(np.float64).mean() if rho[i] > 0 else mean_all)
        if sigma[i] < floor:
            sigma[i] = np.float32(floor)
    return sigma, rho


def fuzzy_union(idx, dist, sigma, rho):
    n, k = idx.shape
    rows, cols, vals = [], [], []
    for i in range(n):
        for j in range(k):
            if idx[i, j] == i:
                continue
            dd = np.float32(dist[i, j] - rho[i])
            if dd <= 0 or sigma[i] == 0:
                v = np.float32(1.0)
            else:
                v = np.exp(np.float32(-(dd / sigma[i]))).astype(np.float32)
            rows.append(i)
            cols.append(idx[i, j])
            vals.append(float(v))
    A = sp.coo_matrix((np.array(vals, dtype=np.float64), (rows, cols)), shape=(n, n)).tocsr()
    A.eliminate_zeros()
    At = A.T.tocsr()
    C = (A + At - A.multiply(At)).tocsr()
    C.eliminate_zeros()
    C.sort_indices()
    return C


def asw_batch(X, labels, batches):
    per = []
    for lab in np.unique(labels):
        m = labels == lab
        nb = len(np.unique(batches[m]))
        if nb == 1 or nb == m.sum():
            continue
        s = silhouette_samples(X[m], batches[m])
        per.append(np.mean(1 - np.abs(s)))
    return float(np.mean(per)), per


def graph_conn(C, labels):
    res = []
    for lab in np.unique(labels):
        m = np.where(labels == lab)[0]
        _, comp = connected_components(C[m][:, m], connection="strong")
        res.append(np.bincount(comp).max() / len(m))
    return float(np.mean(res)), res


def leiden_sweep(C, labels):
    try:
        import igraph as ig
        import leidenalg
    except ImportError:
        return None
    Cc = C.tocoo()
    g = ig.Graph(directed=True)
    g.add_vertices(C.shape[0])
    g.add_edges(list(zip(Cc.row.tolist(), Cc.col.tolist())))
    g.es["weight"] = Cc.data.tolist()
    best, best_res, best_ari, best_nc = 0.0, 0.1, None, 0
    for r in range(1, 21):
        res = r / 10
        part = leidenalg.find_partition(g, leidenalg.RBConfigurationVertexPartition, weights="weight",
                                        n_iterations=-1, seed=0, resolution_parameter=res)
        memb = np.array(part.membership)
        s = normalized_mutual_info_score(labels, memb)
        if s > best:
            best, best_res, best_ari, best_nc = s, res, adjusted_rand_score(labels, memb), memb.max() + 1
    return best, best_res, best_ari, best_nc


# ---------------------------------------------------------------- output helpers
def f32(v):
    r = repr(float(np.float32(v)))
    return (r if ("." in r or "e" in r) else r + ".0") + "f"


def f64(v):
    return repr(float(v))


def arr(vals, fmt, per_line=10):
    vals = list(vals)
    lines = []
    for s in range(0, len(vals), per_line):
        lines.append("    " + ", ".join(fmt(v) for v in vals[s:s + per_line]) + ",")
    return "{\n" + "\n".join(lines) + "\n}"


def i32(v):
    return str(int(v))


# ---------------------------------------------------------------- synthetic case
def synthetic():
    rng = np.random.RandomState(7)
    sizes = [18, 16, 11, 4, 1]
    centers = rng.normal(0, 2.5, size=(5, 5))
    labels = np.concatenate([np.full(s, l) for l, s in enumerate(sizes)])
    batches = rng.randint(0, 3, size=labels.size)
    batches[labels == 3] = 0
    X = centers[labels] + rng.normal(0, 1.0, size=(labels.size, 5)) + 0.6 * batches[:, None]
    X = np.round(X, 3).astype(np.float32)
    X[7] = X[3]  # an exact duplicate: zero distances, rho skips them
    perm = rng.permutation(labels.size)  # cells not grouped by label
    return X[perm], labels[perm].astype(np.int32), batches[perm].astype(np.int32)


def main():
    out = []
    w = out.append
    w("// Generated by tests/eval/make_expected.py (Debian's /usr/bin/python3: numpy 1.24, scipy 1.10,")
    w("// sklearn 1.2); see that script for how each value is computed, independently of bmfm.")
    w("// Do not edit by hand: rerun the script.")
    w("#pragma once\n\n#include <cstdint>\n#include <vector>\n\nnamespace bmfm::test::eval_expected {\n")

    # --- synthetic
    X, lab, bat = synthetic()
    n = X.shape[0]
    idx, dist = knn_bruteforce(X, K)
    sigma, rho = smooth_knn_dist(dist, K)
    C = fuzzy_union(idx, dist, sigma, rho)
    X64 = X.astype(np.float64)
    sil = silhouette_samples(X64, lab)
    ab, ab_per = asw_batch(X64, lab, bat)
    gc, gc_per = graph_conn(C, lab)
    w("// Synthetic: 50 cells x 5 dims, 5 labels (sizes 18, 16, 11, 4, 1; label 3 all in batch 0),")
    w("// 3 batches; cell 7 duplicates cell 3 before a random permutation of the rows.")
    w(f"constexpr int64_t kSynN = {n}, kSynD = {X.shape[1]}, kSynK = {K};")
    w("inline const std::vector<float> kSynX = " + arr(X.ravel(), f32, 10) + ";")
    w("inline const std::vector<int32_t> kSynLabels = " + arr(lab, i32, 25) + ";")
    w("inline const std::vector<int32_t> kSynBatches = " + arr(bat, i32, 25) + ";")
    w("inline const std::vector<int32_t> kSynKnnIndices = " + arr(idx.ravel(), i32, 15) + ";")
    w("inline const std::vector<float> kSynKnnDistances = " + arr(dist.ravel(), f32, 8) + ";")
    w("inline const std::vector<float> kSynSigma = " + arr(sigma, f32, 8) + ";")
    w("inline const std::vector<float> kSynRho = " + arr(rho, f32, 8) + ";")
    w("inline const std::vector<int64_t> kSynConnIndptr = " + arr(C.indptr, i32, 20) + ";")
    w("inline const std::vector<int32_t> kSynConnIndices = " + arr(C.indices, i32, 20) + ";")
    w("inline const std::vector<double> kSynConnData = " + arr(C.data, f64, 4) + ";")
    w("inline const std::vector<double> kSynSilhouette = " + arr(sil, f64, 4) + ";")
    w(f"constexpr double kSynAswLabel = {f64((sil.mean() + 1) / 2)};")
    w(f"constexpr double kSynAswBatch = {f64(ab)};")
    w("inline const std::vector<double> kSynAswBatchPerLabel = " + arr(ab_per, f64, 4) + ";  // labels 0, 1, 2")
    w(f"constexpr double kSynGraphConn = {f64(gc)};")
    w("inline const std::vector<double> kSynGraphConnPerLabel = " + arr(gc_per, f64, 5) + ";")
    w(f"constexpr double kSynNmiLabelBatch = {f64(normalized_mutual_info_score(lab, bat))};")
    w(f"constexpr double kSynAriLabelBatch = {f64(adjusted_rand_score(lab, bat))};")

    # --- NMI / ARI on random labelings of assorted shapes
    rng = np.random.RandomState(11)
    pairs = []
    for (nn, ka, kb) in [(10, 2, 3), (37, 4, 4), (100, 5, 12), (500, 9, 20), (1000, 2, 2), (64, 1, 3),
                         (64, 3, 1), (20, 20, 3), (1234, 30, 7)]:
        a = rng.randint(0, ka, size=nn) * 3 - 5  # codes need not be contiguous or positive
        b = rng.randint(0, kb, size=nn)
        pairs.append((a, b))
    w("\n// Random labelings (numpy RandomState(11)); a's codes are 3*c-5 (not contiguous, negative).")
    w("struct LabelPair {\n  std::vector<int32_t> a, b;\n  double nmi, ari;\n};")
    w("inline const std::vector<LabelPair> kLabelPairs = {")
    for a, b in pairs:
        w("    {" + arr(a, i32, 25) + ",\n     " + arr(b, i32, 25) + ",\n     " +
          f64(normalized_mutual_info_score(a, b)) + ", " + f64(adjusted_rand_score(a, b)) + "},")
    w("};")

    # --- real: symphony PCA-50
    path = os.path.join(DATA, "symphony_pbmc_3batch_1500.h5ad")
    import anndata
    ad = anndata.read_h5ad(path)
    Xd = ad.X.toarray().astype(np.float64)
    Xd -= Xd.mean(axis=0)
    U, S, _ = np.linalg.svd(Xd, full_matrices=False)
    P = U[:, :50] * S[:50]
    signs = np.sign(P[np.abs(P).argmax(axis=0), np.arange(50)])
    P = (P * signs).astype(np.float32)
    ct = ad.obs["cell_type"].cat.codes.to_numpy().astype(np.int32)
    bt = ad.obs["batch"].cat.codes.to_numpy().astype(np.int32)
    km = KMeans(n_clusters=8, random_state=0, n_init=10).fit_predict(P.astype(np.float64)).astype(np.int32)
    ridx, rdist = knn_bruteforce(P, K)
    rsig, rrho = smooth_knn_dist(rdist, K)
    RC = fuzzy_union(ridx, rdist, rsig, rrho)
    P64 = P.astype(np.float64)
    rsil = silhouette_samples(P64, ct)
    rsil32 = silhouette_samples(P, ct)  # what scib would get from a float32 obsm
    rab, rab_per = asw_batch(P64, ct, bt)
    rgc, _ = graph_conn(RC, ct)
    os.makedirs(FIX, exist_ok=True)
    P.tofile(os.path.join(FIX, "symphony_pca50.f32"))
    np.stack([ct, bt, km]).astype("<i4").tofile(os.path.join(FIX, "symphony_codes.i32"))
    ridx.astype("<u2").tofile(os.path.join(FIX, "symphony_knn.u16"))
    RC.indptr.astype("<i4").tofile(os.path.join(FIX, "symphony_conn_indptr.i32"))
    RC.indices.astype("<u2").tofile(os.path.join(FIX, "symphony_conn_indices.u16"))
    RC.data.astype("<f4").tofile(os.path.join(FIX, "symphony_conn_data.f32"))
    w("\n// Real: PCA-50 of symphony_pbmc_3batch_1500.h5ad (see make_expected.py), in tests/eval/fixtures:")
    w("//   symphony_pca50.f32 (1500 x 50 float32), symphony_codes.i32 (3 x 1500 int32: cell_type codes,")
    w("//   batch codes, KMeans(8, random_state=0) clusters), symphony_knn.u16 (1500 x 15 brute-force kNN),")
    w("//   symphony_conn_{indptr.i32, indices.u16, data.f32} (connectivities CSR; data rounded to float32).")
    w(f"constexpr int64_t kRealN = {P.shape[0]}, kRealD = {P.shape[1]};")
    w(f"constexpr int64_t kRealConnNnz = {RC.nnz};")
    w(f"constexpr double kRealAswLabel = {f64((rsil.mean() + 1) / 2)};")
    w(f"constexpr double kRealAswLabelFromFloat32 = {f64((rsil32.mean() + 1) / 2)};  // sklearn on float32 input")
    w("inline const std::vector<double> kRealSilhouetteFirst10 = " + arr(rsil[:10], f64, 4) + ";")
    w(f"constexpr double kRealAswBatch = {f64(rab)};")
    w(f"constexpr int kRealAswBatchLabels = {len(rab_per)};")
    w(f"constexpr double kRealGraphConn = {f64(rgc)};")
    w(f"constexpr double kRealNmiKmeans = {f64(normalized_mutual_info_score(ct, km))};")
    w(f"constexpr double kRealAriKmeans = {f64(adjusted_rand_score(ct, km))};")
    w(f"constexpr double kRealNmiBatch = {f64(normalized_mutual_info_score(ct, bt))};")
    w(f"constexpr double kRealAriBatch = {f64(adjusted_rand_score(ct, bt))};")
    lr = leiden_sweep(RC, ct)
    if lr is not None:
        w(f"// leidenalg 0.9 sweep: best resolution {lr[1]}, {lr[3]} clusters.")
        w(f"constexpr double kRealLeidenalgNmi = {f64(lr[0])};")
        w(f"constexpr double kRealLeidenalgAri = {f64(lr[2])};")
    else:
        w("// leidenalg not installed when generated: no Leiden reference.")
        w("constexpr double kRealLeidenalgNmi = -1, kRealLeidenalgAri = -1;")
    w("\n}  // namespace bmfm::test::eval_expected")
    with open(os.path.join(HERE, "eval_expected.h"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
