# Expected values for tests/eval/baseline_test.cpp, computed independently with
# numpy + sklearn following scanpy 1.9's documented semantics:
#   normalize_total(1e4); log1p; highly_variable_genes(flavor="seurat", n_top_genes=500);
#   scale(max_value=10) (unbiased std, upper clip); PCA via sklearn (svd_solver="full").
# Input: layers/counts of symphony_pbmc_3batch_1500.h5ad. Run with Debian's /usr/bin/python3.
import sys, h5py, numpy as np, pandas as pd, scipy.sparse as sp
from sklearn.decomposition import PCA
path = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/symphony_pbmc_3batch_1500.h5ad"
f = h5py.File(path, "r"); g = f["layers/counts"]
X = sp.csr_matrix((g["data"][:], g["indices"][:], g["indptr"][:]), shape=g.attrs["shape"]).astype(np.float64)
tot = np.asarray(X.sum(1)).ravel()
X = sp.diags(1e4 / tot) @ X
X.data = np.log1p(X.data)
E = X.copy(); E.data = np.expm1(E.data)
n = E.shape[0]
mean = np.asarray(E.mean(0)).ravel()
var = (np.asarray(E.multiply(E).mean(0)).ravel() - mean**2) * n / (n - 1)
mean[mean == 0] = 1e-12
disp = var / mean
disp[disp == 0] = np.nan
disp = np.log(disp)
means = np.log1p(mean)
df = pd.DataFrame({"means": means, "disp": disp})
df["bin"] = pd.cut(df["means"], bins=20)
grp = df.groupby("bin")["disp"]
bm, bs = grp.mean(), grp.std(ddof=1)
one = bs.isnull()
bs[one] = bm[one]; bm[one] = 0
dn = (df["disp"].values - bm[df["bin"].values].values) / bs[df["bin"].values].values
d = dn[~np.isnan(dn)]; d[::-1].sort()
cut = d[500 - 1]
hvg = np.where(np.nan_to_num(dn) >= cut)[0]
print("n_hvg", len(hvg), "first", hvg[:5].tolist(), "last", hvg[-3:].tolist(), "sum", int(hvg.sum()))
D = X[:, hvg].toarray()
mu = D.mean(0); sd = D.std(0, ddof=1); sd[sd == 0] = 1
Z = (D - mu) / sd; Z[Z > 10] = 10
p = PCA(n_components=10, svd_solver="full").fit(Z)
S = p.transform(Z)
for c in range(10):
    i = np.argmax(np.abs(S[:, c]))
    if S[i, c] < 0: S[:, c] *= -1
np.set_printoptions(precision=10)
print("ev", repr(p.explained_variance_[:5]))
print("S0", repr(S[0, :5])); print("S999", repr(S[999, :5]))
