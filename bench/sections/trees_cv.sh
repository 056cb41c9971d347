#!/usr/bin/env bash
# Benchmark section: AI4I 2020 gbdt quality by stratified 5-fold
# cross-validation, lathe against XGBoost (hist and exact) on the same folds.
# One hold-out of 2000 rows holds 68 failures, so single-split AUC and F1
# move by more than the differences between the boosters; the mean over 5
# folds of all 10000 rows is the comparison that holds. Same settings as
# the trees section (100 trees, depth 6, rate 0.1, L2 1, min child hessian
# 1e-3, start from the prior). Env: LATHE, DATA, OUT, PY (bench/run.sh).
set -euo pipefail
THREADS=${THREADS:-2}
F="$DATA/ai4i2020/ai4i2020.csv"
CV="$OUT/ai4i_cv"
mkdir -p "$CV"
$PY - "$F" "$CV" <<'PY'
import sys, pandas as pd
from sklearn.model_selection import StratifiedKFold
d = pd.read_csv(sys.argv[1], encoding="utf-8-sig"); y = d["Machine failure"]
for i, (tr, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(d, y)):
    d.iloc[tr].to_csv(f"{sys.argv[2]}/train{i}.csv", index=False)
    d.iloc[te].to_csv(f"{sys.argv[2]}/test{i}.csv", index=False)
PY
GB="n_estimators=100,max_depth=6,learning_rate=0.1,lambda=1,min_child_weight=0.001,max_bins=255"
PHYS=(--derive 'power = `Torque [Nm]` * `Rotational speed [rpm]` * 2 * pi / 60'
      --derive 'temp_diff = `Process temperature [K]` - `Air temperature [K]`'
      --derive 'strain = `Tool wear [min]` * `Torque [Nm]`')
: > "$CV/lathe.jsonl"
for feats in raw physics; do
  for refine in true false; do
    for i in 0 1 2 3 4; do
      extra=(); [ "$feats" = physics ] && extra=("${PHYS[@]}")
      "$LATHE" train --data "$CV/train$i.csv" --test "$CV/test$i.csv" --target "Machine failure" \
        --drop "UDI,Product ID,TWF,HDF,PWF,OSF,RNF" --model gbdt --param "$GB,refine=$refine" \
        --threads "$THREADS" --json --quiet --out "$CV/m.lt" "${extra[@]}" |
        $PY -c "import json,sys; m=json.load(sys.stdin)['metrics']; print(json.dumps({'feats':'$feats','model':'lathe gbdt refine=$refine','fold':$i,'auc':m['roc_auc'],'f1':m['f1']}))" >> "$CV/lathe.jsonl"
    done
  done
done
# Nested CV: on each outer fold `lathe tune` chooses the parameters (and, in
# the second variant, the decision threshold) by an inner 5-fold CV of the
# outer training rows only, then scores the choice once on the outer test fold.
GRID='max_depth=3,4,6;learning_rate=0.05,0.1;n_estimators=100,300'
for thr in no yes; do
  for i in 0 1 2 3 4; do
    extra=(); [ "$thr" = yes ] && extra=(--tune-threshold)
    "$LATHE" tune --data "$CV/train$i.csv" --test "$CV/test$i.csv" --target "Machine failure" \
      --drop "UDI,Product ID,TWF,HDF,PWF,OSF,RNF" --model gbdt "${PHYS[@]}" --grid "$GRID" \
      --metric f1 --threads "$THREADS" --json --quiet --out "$CV/t.lt" "${extra[@]}" |
      $PY -c "import json,sys; j=json.load(sys.stdin); m=j['test_metrics']; print(json.dumps({'feats':'physics','model':'lathe gbdt tuned' + (', threshold tuned' if '$thr' == 'yes' else ''),'fold':$i,'auc':m['roc_auc'],'f1':m['f1'],'params':j['best']['params']}))" >> "$CV/lathe.jsonl"
  done
done
# Repeated stratified 80/20 hold-outs (scikit-learn's train_test_split, seeds
# 0..NHO-1): lathe's defaults with the physics features, each hold-out scored once.
NHO=${NHO:-20}
HO="$OUT/ai4i_ho"
mkdir -p "$HO"
$PY - "$F" "$HO" "$NHO" <<'PY'
import sys, pandas as pd
from sklearn.model_selection import train_test_split
d = pd.read_csv(sys.argv[1], encoding="utf-8-sig")
for s in range(int(sys.argv[3])):
    tr, te = train_test_split(d, test_size=0.2, stratify=d["Machine failure"], random_state=s)
    tr.to_csv(f"{sys.argv[2]}/train{s}.csv", index=False); te.to_csv(f"{sys.argv[2]}/test{s}.csv", index=False)
PY
: > "$HO/lathe.jsonl"
for s in $(seq 0 $((NHO - 1))); do
  "$LATHE" train --data "$HO/train$s.csv" --test "$HO/test$s.csv" --target "Machine failure" \
    --drop "UDI,Product ID,TWF,HDF,PWF,OSF,RNF" --model gbdt --param "$GB" --threads "$THREADS" \
    --json --quiet --out "$HO/m.lt" "${PHYS[@]}" |
    $PY -c "import json,sys; m=json.load(sys.stdin)['metrics']; print(json.dumps({'seed':$s,'f1':m['f1'],'auc':m['roc_auc']}))" >> "$HO/lathe.jsonl"
done
echo "bench: trees_cv lathe done" >&2
$PY - "$CV" "$THREADS" "$HO" "$NHO" <<'PY'
import json, statistics as st, sys
import numpy as np, pandas as pd, xgboost as xgb
from sklearn.metrics import f1_score, roc_auc_score
cv, T, ho, nho = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def rules(d):
    """The dataset's documented failure causes (its README, from UCI), as a classifier:
    what a model that learned them exactly predicts. TWF (random wear 200-240 min), RNF and
    the 9 unexplained failures cannot be predicted from a row; rows whose rounded temperature
    difference reads exactly 8.6 K are predicted 'no failure' (12 of 27 such slow rows fail)."""
    td = (d["Process temperature [K]"] - d["Air temperature [K]"]).round(1)
    rpm, tq, wear = d["Rotational speed [rpm]"], d["Torque [Nm]"], d["Tool wear [min]"]
    power = tq * rpm * 2 * np.pi / 60
    limit = d["Type"].map({"L": 11000, "M": 12000, "H": 13000})
    return (((td < 8.6) & (rpm < 1380)) | (power < 3500) | (power > 9000) | (wear * tq > limit)).astype(int)
num = ["Air temperature [K]", "Process temperature [K]", "Rotational speed [rpm]", "Torque [Nm]", "Tool wear [min]"]
def X(d, feats):
    x = d[num].copy(); x.columns = ["air", "proc", "rpm", "torque", "wear"]
    for t in "HLM":
        x["type_" + t] = (d["Type"] == t).astype(float)
    if feats == "physics":
        x["power"] = x.torque * x.rpm * 2 * np.pi / 60
        x["temp_diff"] = x.proc - x.air
        x["strain"] = x.wear * x.torque
    return x
res = [json.loads(l) for l in open(f"{cv}/lathe.jsonl")]
# XGBoost hist tuned the same way: the same grid, chosen by F1 in an inner
# stratified 5-fold CV of each outer training part.
from sklearn.model_selection import GridSearchCV, StratifiedKFold
for i in range(5):
    tr = pd.read_csv(f"{cv}/train{i}.csv"); te = pd.read_csv(f"{cv}/test{i}.csv")
    y, yt = tr["Machine failure"].to_numpy(), te["Machine failure"].to_numpy()
    g = GridSearchCV(xgb.XGBClassifier(reg_lambda=1.0, min_child_weight=1e-3, tree_method="hist",
                                       max_bin=256, n_jobs=T, base_score=float(y.mean())),
                     {"max_depth": [3, 4, 6], "learning_rate": [0.05, 0.1], "n_estimators": [100, 300]},
                     scoring="f1", cv=StratifiedKFold(5, shuffle=True, random_state=42), refit=True)
    g.fit(X(tr, "physics"), y)
    p = g.predict_proba(X(te, "physics"))[:, 1]
    res.append(dict(feats="physics", model="XGBoost hist tuned", fold=i, auc=roc_auc_score(yt, p),
                    f1=f1_score(yt, p > 0.5)))
for feats in ("raw", "physics"):
    for method in ("hist", "exact"):
        for i in range(5):
            tr = pd.read_csv(f"{cv}/train{i}.csv"); te = pd.read_csv(f"{cv}/test{i}.csv")
            y, yt = tr["Machine failure"].to_numpy(), te["Machine failure"].to_numpy()
            kw = dict(max_bin=256) if method == "hist" else {}
            m = xgb.XGBClassifier(n_estimators=100, max_depth=6, learning_rate=0.1, reg_lambda=1.0,
                                  min_child_weight=1e-3, tree_method=method, n_jobs=T,
                                  base_score=float(y.mean()), **kw).fit(X(tr, feats), y)
            p = m.predict_proba(X(te, feats))[:, 1]
            res.append(dict(feats=feats, model=f"XGBoost {method}", fold=i, auc=roc_auc_score(yt, p),
                            f1=f1_score(yt, p > 0.5)))
for i in range(5):
    te = pd.read_csv(f"{cv}/test{i}.csv")
    res.append(dict(feats="physics", model="rules (ceiling)", fold=i, auc=float("nan"),
                    f1=f1_score(te["Machine failure"], rules(te))))
# Repeated hold-outs: lathe (run above), XGBoost hist and exact with the same settings, rules.
hor = {"lathe gbdt": [json.loads(l)["f1"] for l in open(f"{ho}/lathe.jsonl")]}
for method in ("hist", "exact"):
    hor[f"XGBoost {method}"] = []
    for s in range(nho):
        tr = pd.read_csv(f"{ho}/train{s}.csv"); te = pd.read_csv(f"{ho}/test{s}.csv")
        y, yt = tr["Machine failure"].to_numpy(), te["Machine failure"].to_numpy()
        kw = dict(max_bin=256) if method == "hist" else {}
        m = xgb.XGBClassifier(n_estimators=100, max_depth=6, learning_rate=0.1, reg_lambda=1.0,
                              min_child_weight=1e-3, tree_method=method, n_jobs=T,
                              base_score=float(y.mean()), **kw).fit(X(tr, "physics"), y)
        hor[f"XGBoost {method}"].append(f1_score(yt, m.predict_proba(X(te, "physics"))[:, 1] > 0.5))
hor["rules (ceiling)"] = [f1_score(pd.read_csv(f"{ho}/test{s}.csv")["Machine failure"],
                                   rules(pd.read_csv(f"{ho}/test{s}.csv"))) for s in range(nho)]
print("## gbdt on AI4I by 5-fold cross-validation\n")
print("Stratified 5-fold CV of all 10,000 AI4I rows (scikit-learn's StratifiedKFold, shuffle, seed 0; "
      "the same fold files for both sides), `Machine failure` without the leaking columns. One "
      "hold-out of 2000 rows holds 68 failures, so a single split moves ROC AUC and F1 by more than "
      "the differences between the boosters; these are means ± standard deviations over the folds. "
      "Settings as in the tree section; XGBoost starts from the training prior like lathe. "
      "\"physics\": power, temperature difference and strain added (lathe: `--derive`).\n")
print("| features | model | ROC AUC (mean ± sd) | F1 at 0.5 (mean ± sd) |")
print("| --- | --- | ---: | ---: |")
for feats in ("raw", "physics"):
    for model in ("lathe gbdt refine=true", "lathe gbdt refine=false", "XGBoost hist", "XGBoost exact",
                  "lathe gbdt tuned", "lathe gbdt tuned, threshold tuned", "XGBoost hist tuned",
                  "rules (ceiling)"):
        r = [x for x in res if x["feats"] == feats and x["model"] == model]
        if not r:
            continue
        a = [x["auc"] for x in r]; f = [x["f1"] for x in r]
        auc = "—" if np.isnan(a[0]) else f"{st.mean(a):.4f} ± {st.stdev(a):.4f}"
        print(f"| {feats} | {model} | {auc} | {st.mean(f):.3f} ± {st.stdev(f):.3f} |")
print("\n\"tuned\": nested CV. On each outer fold the grid depth 3/4/6 × learning rate 0.05/0.1 × "
      "100/300 trees is searched by F1 in an inner stratified 5-fold CV of that fold's 8000 training "
      "rows only (lathe: `lathe tune --test`; XGBoost: GridSearchCV), and the choice is scored once "
      "on the outer 2000 test rows. \"threshold tuned\": `--tune-threshold` also picks the decision "
      "threshold from the inner out-of-fold probabilities. Per outer fold, lathe F1 (tuned; "
      "threshold tuned):\n")
for i in range(5):
    a = [x for x in res if x["model"] == "lathe gbdt tuned" and x["fold"] == i][0]
    b = [x for x in res if x["model"] == "lathe gbdt tuned, threshold tuned" and x["fold"] == i][0]
    c = [x for x in res if x["model"] == "rules (ceiling)" and x["fold"] == i][0]
    print(f"- fold {i}: {a['f1']:.4f}; {b['f1']:.4f} (chose {a['params']}); rules {c['f1']:.4f}")
allr = pd.concat([pd.read_csv(f"{cv}/test{i}.csv") for i in range(5)])
print("\n\"rules (ceiling)\": the failure causes the dataset documents (heat dissipation: "
      "temperature difference < 8.6 K and speed < 1380 rpm; power < 3500 W or > 9000 W; tool wear × "
      "torque above 11,000/12,000/13,000 min·Nm for L/M/H) applied as a classifier, no learning. "
      "It is what a model that learned those rules exactly would score. It cannot predict the "
      "tool-wear failures (random wear between 200 and 240 min), the random failures and the 9 "
      "failures with no cause flagged, and 27 slow rows whose rounded temperature difference "
      "reads exactly 8.6 K fail in 12 cases and not in 15, so it predicts 'no failure' there. On "
      f"all 10,000 rows it scores F1 {f1_score(allr['Machine failure'], rules(allr)):.3f}: about "
      "the best F1 any model can expect on this data.\n")
print(f"### {nho} stratified 80/20 hold-outs\n")
print(f"scikit-learn's train_test_split(test_size=0.2, stratify, random_state=0..{nho - 1}): each "
      "side trained on the 8000 rows with the physics features and the tree section's settings, "
      "scored once on the 2000 rows. A single hold-out has 68 failures, so its F1 moves by about "
      "±0.025 with the draw: the issue's F1 ≥ 0.89 \"on a stratified hold-out\" is met or missed "
      "by the draw as much as by the model, which the rules' own line shows.\n")
print("| model | F1 mean ± sd | median | min – max | hold-outs with F1 ≥ 0.89 | mean gap to the rules |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for name, f in hor.items():
    gap = st.mean(a - b for a, b in zip(f, hor["rules (ceiling)"]))
    print(f"| {name} | {st.mean(f):.4f} ± {st.stdev(f):.4f} | {st.median(f):.4f} | "
          f"{min(f):.4f} – {max(f):.4f} | {sum(x >= 0.89 for x in f)} of {len(f)} | {gap:+.4f} |")
PY
