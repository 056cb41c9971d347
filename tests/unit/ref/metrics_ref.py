"""Reference numbers for tests/unit/test_metrics.c from scikit-learn.

Run once: cd tests/unit/ref && /usr/bin/python3 metrics_ref.py
Writes metrics_ref.h: labels and scores (with ties: scores are rounded to
one decimal) and sklearn's roc_auc_score, average_precision_score,
log_loss, precision/recall/f1 (binary and macro), accuracy, r2, rmse, mae.
"""
import numpy as np
import sklearn
from sklearn import metrics as M
from refutil import carr, header

rng = np.random.RandomState(11)
# Binary: 40 rows, scores in [0, 1] with many ties.
n = 40
y = (rng.rand(n) < 0.4).astype(np.int32)
s = np.clip(np.round(0.35 * y + 0.65 * rng.rand(n), 1), 0, 1).astype(np.float32)
p2 = np.stack([1 - s, s], 1).astype(np.float32)
pred = (s > 0.5).astype(np.int32)  # the argmax of [1 - s, s] (0.5 ties -> class 0)
s64, p64 = s.astype(np.float64), p2.astype(np.float64)

# Multi-class: 45 rows, 3 classes, probabilities from noisy scores.
nm, K = 45, 3
ym = rng.randint(0, K, nm).astype(np.int32)
Z = rng.randn(nm, K) + 1.2 * np.eye(K)[ym]
Pm = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
Pm = Pm.astype(np.float32)
Pm64 = Pm.astype(np.float64)
predm = Pm.argmax(1)

# Regression
nr = 25
yr = rng.randn(nr) * 3 + 1
pr = yr + rng.randn(nr)

out = "/* sklearn %s, numpy %s */\n" % (sklearn.__version__, np.__version__)
out += "#define REF_N %d\n" % n + carr("ref_y", y, "int") + carr("ref_s", s)
out += "#define REF_NM %d\n#define REF_KM %d\n" % (nm, K)
out += carr("ref_ym", ym, "int") + carr("ref_pm", Pm)
out += "#define REF_NR %d\n" % nr + carr("ref_yr", yr, "double") + carr("ref_pr", pr, "double")
vals = {
    "roc_auc": M.roc_auc_score(y, s64),
    "ap": M.average_precision_score(y, s64),
    "log_loss": M.log_loss(y, p64),
    "precision": M.precision_score(y, pred),
    "recall": M.recall_score(y, pred),
    "f1": M.f1_score(y, pred),
    "f1_macro": M.f1_score(y, pred, average="macro"),
    "accuracy": M.accuracy_score(y, pred),
    "m_roc_auc": M.roc_auc_score(ym, Pm64, multi_class="ovr", average="macro"),
    "m_ap": M.average_precision_score(np.eye(K)[ym], Pm64, average="macro"),
    "m_log_loss": M.log_loss(ym, Pm64),
    "m_precision": M.precision_score(ym, predm, average="macro"),
    "m_recall": M.recall_score(ym, predm, average="macro"),
    "m_f1": M.f1_score(ym, predm, average="macro"),
    "m_accuracy": M.accuracy_score(ym, predm),
    "r2": M.r2_score(yr, pr),
    "rmse": M.mean_squared_error(yr, pr) ** 0.5,
    "mae": M.mean_absolute_error(yr, pr),
}
for k, v in vals.items():
    out += "static const double ref_%s = %.17g;\n" % (k, v)
header("metrics_ref.h", "metrics_ref.py", out)
print(vals)
