#!/usr/bin/env bash
# Benchmark section: tree ensembles. lathe gbdt against scikit-learn's
# HistGradientBoostingClassifier and XGBoost (tree_method=hist), lathe rf
# against scikit-learn's RandomForestClassifier, on the same files in one
# run: AI4I 2020 (bench/prep_data.py's split) and the simulated fleet
# (250k rows, stratified 80/20 split made here). Same settings on every
# side: 100 trees, depth 6, learning rate 0.1, L2 1, min child hessian 1e-3,
# 255/256 bins, same thread count; the same preprocessing (standardised
# numbers, one-hot Type). Times are medians over REPEATS runs; lathe's are
# the fit/predict seconds it reports (CSV parsing excluded, as on the Python
# side). Env: LATHE, DATA, OUT, REPEATS, PY (bench/run.sh). Prints markdown.
set -euo pipefail
THREADS=${THREADS:-2}
R=${REPEATS:-5}
[ -f "$OUT/fleet.csv" ] || "$LATHE" simulate --machines 50 --hours 500 --seed 1 --out "$OUT/fleet.csv" --quiet

# Stratified 80/20 split of the fleet, written once so both sides read the same rows.
if [ ! -f "$OUT/fleet_test.csv" ]; then
  $PY - "$OUT" <<'PY'
import sys, pandas as pd
from sklearn.model_selection import train_test_split
out = sys.argv[1]
d = pd.read_csv(f"{out}/fleet.csv")
tr, te = train_test_split(d, test_size=0.2, stratify=d["failure"], random_state=42)
tr.to_csv(f"{out}/fleet_train.csv", index=False); te.to_csv(f"{out}/fleet_test.csv", index=False)
PY
fi

GB="n_estimators=100,max_depth=6,learning_rate=0.1,lambda=1,min_child_weight=0.001,max_bins=255"
RF="n_estimators=100"
run_lathe() {  # name model params train test target drop -> $OUT/trees_<name>.jsonl
  local name=$1 model=$2 params=$3 train=$4 test=$5 target=$6 drop=$7
  : > "$OUT/trees_$name.jsonl"
  for i in $(seq "$R"); do
    "$LATHE" train --data "$train" --test "$test" --target "$target" --drop "$drop" --model "$model" \
      --param "$params" --threads "$THREADS" --json --quiet --out "$OUT/trees_$name.lt" >> "$OUT/trees_$name.jsonl"
  done
  echo "bench: trees lathe $name done" >&2
}
AD="UDI,Product ID,TWF,HDF,PWF,OSF,RNF"
FD="timestamp,machine,product_id,twf,hdf,pwf,osf,rnf"
run_lathe ai4i_gbdt gbdt "$GB" "$OUT/ai4i_train.csv" "$OUT/ai4i_test.csv" "Machine failure" "$AD"
run_lathe ai4i_rf rf "$RF" "$OUT/ai4i_train.csv" "$OUT/ai4i_test.csv" "Machine failure" "$AD"
run_lathe fleet_gbdt gbdt "$GB" "$OUT/fleet_train.csv" "$OUT/fleet_test.csv" failure "$FD"
run_lathe fleet_rf rf "$RF" "$OUT/fleet_train.csv" "$OUT/fleet_test.csv" failure "$FD"

$PY - "$OUT" "$R" "$THREADS" <<'PY'
import json, statistics, sys, time
import numpy as np, pandas as pd, sklearn, xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler
out, R, T = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def med(fn):
    ts = []
    for _ in range(R):
        t0 = time.perf_counter(); r = fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts), r

sets = {
    "AI4I (8k train)": ("ai4i", "Machine failure", ["Air temperature [K]", "Process temperature [K]",
                        "Rotational speed [rpm]", "Torque [Nm]", "Tool wear [min]"], "Type"),
    "fleet (200k train)": ("fleet", "failure", ["air_temp_k", "process_temp_k", "rotational_speed_rpm",
                           "torque_nm", "tool_wear_min"], "type"),
}
peers = {
    "scikit-learn HistGradientBoosting": ("gbdt", lambda: HistGradientBoostingClassifier(
        max_iter=100, max_depth=6, learning_rate=0.1, l2_regularization=1.0, max_leaf_nodes=None,
        min_samples_leaf=1, max_bins=255, early_stopping=False)),
    "XGBoost hist": ("gbdt", lambda: xgb.XGBClassifier(
        n_estimators=100, max_depth=6, learning_rate=0.1, reg_lambda=1.0, min_child_weight=1e-3,
        tree_method="hist", max_bin=256, n_jobs=T)),
    "scikit-learn RandomForest": ("rf", lambda: RandomForestClassifier(n_estimators=100, n_jobs=T,
                                                                       random_state=0)),
}
rows = []
for title, (key, target, num, cat) in sets.items():
    tr = pd.read_csv(f"{out}/{key}_train.csv"); te = pd.read_csv(f"{out}/{key}_test.csv")
    pre = ColumnTransformer([("num", StandardScaler(), num),
                             ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), [cat])])
    Xtr = pre.fit_transform(tr); Xte = pre.transform(te)
    y, yt = tr[target].to_numpy(), te[target].to_numpy()
    for model in ("gbdt", "rf"):
        L = [json.loads(l) for l in open(f"{out}/trees_{key}_{model}.jsonl")]
        lf = statistics.median(j["fit_seconds"] for j in L)
        lp = statistics.median(j["predict_seconds"] for j in L)
        m = L[0]["metrics"]
        rows.append((title, f"**lathe {model}**", lf, lp, lf, m["roc_auc"], m["f1"]))
        for name, (kind, make) in peers.items():
            if kind != model:
                continue
            fs, est = med(lambda: make().fit(Xtr, y))
            ps, p = med(lambda: est.predict_proba(Xte)[:, 1])
            rows.append((title, name, fs, ps, lf, roc_auc_score(yt, p), f1_score(yt, p > 0.5)))
        print(f"bench: trees peers {key} {model} done", file=sys.stderr)

print("## Tree ensembles: gbdt and rf\n")
print(f"Same files, same run, {T} threads on every side; 100 trees, depth 6, learning rate 0.1, "
      "L2 1, min child hessian 1e-3, 255 bins for the boosters; 100 fully grown trees, sqrt(d) "
      f"features per split for the forests. Medians of {R} runs. scikit-learn "
      f"{sklearn.__version__}, XGBoost {xgb.__version__}. Ratio = the peer's fit time / lathe's "
      "(> 1: lathe is faster).\n")
print("| data | model | fit s | predict s | fit ratio | ROC AUC | F1 |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for t, n, f, p, lf, auc, f1 in rows:
    print(f"| {t} | {n} | {f:.3f} | {p:.4f} | {f / lf:.2f} | {auc:.4f} | {f1:.4f} |")
PY
