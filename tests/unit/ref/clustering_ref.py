"""Reference numbers for tests/unit/test_kmeans.c and test_iforest.c, computed
once with scikit-learn. Run: /usr/bin/python3 clustering_ref.py (from this
folder); writes clustering_ref.h."""
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import adjusted_rand_score, silhouette_score

from refutil import carr, header

rng = np.random.default_rng(7)
# 3 blobs in 2-D, 20 rows each, plus overlapping noise so silhouette is not trivial.
centers = np.array([[0.0, 0.0], [3.0, 0.5], [1.0, 3.0]])
X = np.vstack([c + rng.normal(scale=0.9, size=(20, 2)) for c in centers]).astype(np.float32)
truth = np.repeat([0, 1, 2], 20).astype(np.int32)
# A predicted labelling: truth with 9 rows moved and cluster ids permuted.
pred = (truth + 1) % 3
moved = rng.choice(60, size=9, replace=False)
pred[moved] = rng.integers(0, 3, size=9)
pred = pred.astype(np.int32)
sil = silhouette_score(X.astype(np.float64), pred)
ari = adjusted_rand_score(truth, pred)
# ARI of two arbitrary labelings with different numbers of clusters and values.
a2 = rng.integers(-2, 3, size=50).astype(np.int32)
b2 = rng.integers(10, 14, size=50).astype(np.int32)
ari2 = adjusted_rand_score(a2, b2)

# Isolation forest by hand: rows {0, 0, 0, 10}, psi = 4 (max depth 2). The root
# splits 10 away at depth 1; {0, 0, 0} is constant: a leaf at depth 1 with
# c(3) added. So E[h(10)] = 1 and E[h(0)] = 1 + c(3) for any tree or seed.
Xi = np.array([[0.0], [0.0], [0.0], [10.0]])
iso = IsolationForest(n_estimators=3, max_samples=4, random_state=0).fit(Xi)
ss = iso.score_samples(np.array([[0.0], [10.0]]))  # = -2^(-E[h]/c(4))

body = "#define CREF_N 60\n"
body += carr("cref_X", X)
body += carr("cref_truth", truth, "int")
body += carr("cref_pred", pred, "int")
body += "static const double cref_silhouette = %.17g;\n" % sil
body += "static const double cref_ari = %.17g;\n" % ari
body += "#define CREF_N2 50\n"
body += carr("cref_a2", a2, "int")
body += carr("cref_b2", b2, "int")
body += "static const double cref_ari2 = %.17g;\n" % ari2
body += "/* IsolationForest(n_estimators=3, max_samples=4).score_samples on rows 0 and 10 */\n"
body += "static const double cref_iso_score0 = %.17g;\n" % ss[0]
body += "static const double cref_iso_score10 = %.17g;\n" % ss[1]
header("clustering_ref.h", "clustering_ref.py", body)
print("silhouette", sil, "ari", ari, "ari2", ari2, "iso", ss)
