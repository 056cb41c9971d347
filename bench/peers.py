"""scikit-learn side of the benchmark: the same pipelines as lathe's
(standardise numeric columns, one-hot categorical ones, then the model),
fitted on the same files; medians over repeats. Prints one JSON object.
usage: peers.py OUT_DIR REPEATS
"""
import json
import statistics
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import f1_score, log_loss, mean_squared_error, r2_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

out, repeats = sys.argv[1], int(sys.argv[2])
csv_repeats = int(sys.argv[3]) if len(sys.argv) > 3 else repeats


def median_time(fn, n=None):
    times = []
    for _ in range(n or repeats):
        t0 = time.perf_counter()
        r = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), r


def prep(num, cat):
    steps = [("num", StandardScaler(), num)]
    if cat:
        steps.append(("cat", OneHotEncoder(handle_unknown="ignore"), cat))
    return ColumnTransformer(steps)


res = {}
# AI4I logistic regression (lbfgs, C=1, tol=1e-4: the defaults on both sides)
tr = pd.read_csv(f"{out}/ai4i_train.csv")
te = pd.read_csv(f"{out}/ai4i_test.csv")
num = ["Air temperature [K]", "Process temperature [K]", "Rotational speed [rpm]",
       "Torque [Nm]", "Tool wear [min]"]
y, yt = tr["Machine failure"], te["Machine failure"]
make = lambda: make_pipeline(prep(num, ["Type"]), LogisticRegression(C=1.0, tol=1e-4, max_iter=100))
fit_s, model = median_time(lambda: make().fit(tr, y))
pred_s, proba = median_time(lambda: model.predict_proba(te))
p1 = proba[:, 1]
res["ai4i_logreg"] = {
    "fit_seconds": fit_s, "predict_seconds": pred_s,
    "log_loss": log_loss(yt, proba), "roc_auc": roc_auc_score(yt, p1),
    "f1": f1_score(yt, (p1 >= 0.5).astype(int)),
    "train_log_loss": log_loss(y, model.predict_proba(tr)),
}

# C-MAPSS FD001 linear regression on the 24 settings/sensors
tr = pd.read_csv(f"{out}/cmapss_train.csv")
te = pd.read_csv(f"{out}/cmapss_test.csv")
feats = [c for c in tr.columns if c not in ("unit", "cycle", "RUL")]
make = lambda: make_pipeline(prep(feats, []), LinearRegression())
fit_s, model = median_time(lambda: make().fit(tr[feats], tr["RUL"]))
pred_s, p = median_time(lambda: model.predict(te[feats]))
res["cmapss_linreg"] = {
    "fit_seconds": fit_s, "predict_seconds": pred_s,
    "rmse": float(np.sqrt(mean_squared_error(te["RUL"], p))), "r2": r2_score(te["RUL"], p),
}

# CSV parsing
for name, kw in (("ai4i2020.csv", {}), ("train_FD001.txt", {"sep": r"\s+", "header": None}),
                 ("fleet.csv", {})):
    path = f"{out}/{name}"
    s, df = median_time(lambda: pd.read_csv(path, **kw), csv_repeats)
    res[f"csv_{name}"] = {"median_seconds": s, "rows": len(df)}
print(json.dumps(res))
