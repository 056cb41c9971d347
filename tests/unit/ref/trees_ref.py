"""Reference figures for tests/unit/test_gbdt.c and test_rf.c from
scikit-learn (HistGradientBoosting*, RandomForest*) and XGBoost (hist).

Run once: cd tests/unit/ref && /usr/bin/python3 trees_ref.py
Writes trees_ref.h. The data are not stored: the C tests generate the same
rows from lathe's generator (xoshiro256** seeded through splitmix64, ported
below), so only the peers' test-set figures go into the header. All label
arithmetic is in double on float32-rounded features, identical in C.
"""
import numpy as np
import sklearn
import xgboost as xgb
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.metrics import roc_auc_score, mean_squared_error, log_loss
from refutil import header

M = (1 << 64) - 1


class Rng:  # lathe's lt_rng (src/core/rng.c)
    def __init__(self, seed):
        x = seed & M
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
            self.s.append(z ^ (z >> 31))

    def u64(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M
        out = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def uniform(self):
        return (self.u64() >> 11) * 2.0 ** -53


def make(n, seed, task):
    """Same as tree_data() in test_gbdt.c: d = 6, x in [-2, 2), x4 NaN 10 %."""
    r = Rng(seed)
    X = np.zeros((n, 6), dtype=np.float32)
    y = np.zeros(n)
    for i in range(n):
        for j in range(6):
            X[i, j] = np.float32(r.uniform() * 4.0 - 2.0)
        if r.uniform() < 0.1:
            X[i, 4] = np.nan
        x = [float(v) for v in X[i]]
        x4 = 1.0 if np.isnan(X[i, 4]) else x[4]
        z = x[0] * x[1] + x[2] * x[2] - 1.5 + 0.8 * x[3] + 0.5 * x4 + (r.uniform() - 0.5) * 2.0
        y[i] = (1.0 if z > 0 else 0.0) if task == "cls" else z
    return X, y


out = "/* sklearn %s, xgboost %s, numpy %s */\n" % (sklearn.__version__, xgb.__version__, np.__version__)
out += "#define REF_TREES_NTRAIN 2000\n#define REF_TREES_NTEST 2000\n"
Xtr, ytr = make(2000, 11, "cls")
Xte, yte = make(2000, 12, "cls")
out += "/* class balance of the training set: %.4f */\n" % ytr.mean()
# lathe gbdt defaults: depth-wise to 6, lambda 1, min_child_weight 1e-3, 255 bins.
hgb = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_depth=6,
                                     max_leaf_nodes=None, l2_regularization=1.0,
                                     min_samples_leaf=1, early_stopping=False, random_state=0)
hgb.fit(Xtr, ytr)
p = hgb.predict_proba(Xte)[:, 1]
out += "static const double ref_hgb_auc = %.6f, ref_hgb_logloss = %.6f;\n" % (roc_auc_score(yte, p), log_loss(yte, p))
xg = xgb.XGBClassifier(n_estimators=100, learning_rate=0.1, max_depth=6, reg_lambda=1.0,
                       min_child_weight=1e-3, tree_method="hist", max_bin=256, n_jobs=1)
xg.fit(Xtr, ytr)
p = xg.predict_proba(Xte)[:, 1]
out += "static const double ref_xgb_auc = %.6f, ref_xgb_logloss = %.6f;\n" % (roc_auc_score(yte, p), log_loss(yte, p))
# Exact greedy XGBoost: the peer of lathe's refined splits (refine=true).
xe = xgb.XGBClassifier(n_estimators=100, learning_rate=0.1, max_depth=6, reg_lambda=1.0,
                       min_child_weight=1e-3, tree_method="exact", n_jobs=1)
xe.fit(Xtr, ytr)
out += "static const double ref_xgb_exact_auc = %.6f;\n" % roc_auc_score(yte, xe.predict_proba(Xte)[:, 1])
rf = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)
rf.fit(np.nan_to_num(Xtr, nan=-3.0), ytr)  # sklearn 1.2 RF does not take NaN
p = rf.predict_proba(np.nan_to_num(Xte, nan=-3.0))[:, 1]
out += "static const double ref_rf_auc = %.6f;\n" % roc_auc_score(yte, p)

Xtr, ytr = make(2000, 21, "reg")
Xte, yte = make(2000, 22, "reg")
hgr = HistGradientBoostingRegressor(max_iter=100, learning_rate=0.1, max_depth=6,
                                    max_leaf_nodes=None, l2_regularization=1.0,
                                    min_samples_leaf=1, early_stopping=False, random_state=0)
hgr.fit(Xtr, ytr)
out += "static const double ref_hgb_rmse = %.6f;\n" % mean_squared_error(yte, hgr.predict(Xte)) ** 0.5
xr = xgb.XGBRegressor(n_estimators=100, learning_rate=0.1, max_depth=6, reg_lambda=1.0,
                      min_child_weight=1e-3, tree_method="hist", max_bin=256, n_jobs=1)
xr.fit(Xtr, ytr)
out += "static const double ref_xgb_rmse = %.6f;\n" % mean_squared_error(yte, xr.predict(Xte)) ** 0.5
xe = xgb.XGBRegressor(n_estimators=100, learning_rate=0.1, max_depth=6, reg_lambda=1.0,
                      min_child_weight=1e-3, tree_method="exact", n_jobs=1)
xe.fit(Xtr, ytr)
out += "static const double ref_xgb_exact_rmse = %.6f;\n" % mean_squared_error(yte, xe.predict(Xte)) ** 0.5
rr = RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=1)
rr.fit(np.nan_to_num(Xtr, nan=-3.0), ytr)
out += "static const double ref_rf_rmse = %.6f;\n" % mean_squared_error(yte, rr.predict(np.nan_to_num(Xte, nan=-3.0))) ** 0.5
out += "static const double ref_reg_test_std = %.6f;\n" % yte.std()
# First generated values, so the C side can check it generates the same rows.
X0, _ = make(1, 11, "cls")
out += "static const float ref_first_row[6] = {%s};\n" % ", ".join("%.9gf" % v for v in X0[0])
header("trees_ref.h", "trees_ref.py", out)
print(open("trees_ref.h").read())
