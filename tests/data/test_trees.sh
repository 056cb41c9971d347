#!/usr/bin/env bash
# Real data through the CLI for the tree models (gbdt, rf).
#
# AI4I 2020 "Machine failure": UDI/Product ID (ids) and TWF/HDF/PWF/OSF/RNF
# (failure modes: they leak the label) are dropped; the CLI's stratified
# 80/20 split (seed 42; its own rows, not scikit-learn's). Two feature sets: the raw
# sensors, and the raw sensors plus three physical quantities the dataset's
# documentation names as failure causes, declared with --derive (power =
# torque x angular speed, process - air temperature, tool wear x torque)
# and computed by the model from each row's own inputs. Measured
# 2026-11-22 (thresholds: measured minus a margin):
#   gbdt raw              F1 0.763  ROC AUC 0.967
#   gbdt physics          F1 0.878  ROC AUC 0.972   (refine=false: 0.843)
#   gbdt physics, 5-fold CV of the defaults on all rows: F1 0.888 +- 0.028
#   rf   physics          F1 0.894  ROC AUC 0.954
# The issue's target is F1 >= 0.89 on a stratified hold-out. One hold-out
# has 68 failures, so its F1 moves by +-0.025 with the draw; the test takes
# the mean over ten of the CLI's stratified hold-outs (--seed 0..9):
# measured 2026-12-04 0.890 (0.853-0.922). docs/benchmarks.md: over 20 of
# scikit-learn's stratified hold-outs 0.8965 +- 0.030, against 0.8986 for
# the dataset's documented failure rules applied exactly (the ceiling),
# 0.896 XGBoost exact and 0.830 XGBoost hist.
#
# C-MAPSS FD001 remaining useful life with gbdt on windowed features: per
# unit, the last value and the means over the last 10 and 30 cycles of the
# 14 informative sensors, plus the cycle; RUL capped at 125; evaluated on
# the last cycle of each test unit against RUL_FD001. Measured RMSE 14.75
# (R2 0.861; linreg on the plain rows: 20.83).
source "$(dirname "$0")/../cli/lib.bash"
F="$LATHE_DATA/ai4i2020/ai4i2020.csv"
D="$LATHE_DATA/cmapss"
[ -f "$F" ] && [ -f "$D/train_FD001.txt.gz" ] || { echo "SKIPPED: $F or $D is absent (set LATHE_DATA)"; exit 77; }
DROP="UDI,Product ID,TWF,HDF,PWF,OSF,RNF"

# check MODEL FILE MIN_F1 MIN_AUC DESC [--param ...]
check() {
  local model=$1 file=$2 f1=$3 auc=$4 desc=$5; shift 5
  expect_exit 0 "train $model on AI4I ($desc)" -- "$LATHE" train --data "$file" --target "Machine failure" \
    --drop "$DROP" --model "$model" --out "$T/m.lt" --json --quiet "$@"
  python3 - "$T/out" "$f1" "$auc" <<'PY' && ok "AI4I $model $desc: F1 >= $f1, ROC AUC >= $auc" || not_ok "AI4I $model $desc quality"
import json, sys
j = json.load(open(sys.argv[1])); m = j["metrics"]
print("   ", {k: round(m[k], 4) for k in ("f1", "roc_auc", "precision", "recall", "pr_auc")})
assert j["test_rows"] == 2000, j
assert m["f1"] >= float(sys.argv[2]) and m["roc_auc"] >= float(sys.argv[3]), m
PY
}

# The physical features, declared once; the saved model computes them.
PHYS=(--derive 'power = `Torque [Nm]` * `Rotational speed [rpm]` * 2 * pi / 60'
      --derive 'temp_diff = `Process temperature [K]` - `Air temperature [K]`'
      --derive 'strain = `Tool wear [min]` * `Torque [Nm]`')

check gbdt "$F" 0.74 0.95 "raw features"
check gbdt "$F" 0.86 0.97 "physics features" "${PHYS[@]}"
check rf "$F" 0.86 0.93 "physics features" "${PHYS[@]}"
# Save -> predict on raw rows works (the model derives its features).
expect_exit 0 "predict with the saved rf on the raw file" -- "$LATHE" predict --model "$T/m.lt" --data "$F"
# Stratified 5-fold cross-validation of the defaults (one candidate: no
# selection): measured F1 0.888 +- 0.028.
expect_exit 0 "5-fold CV of gbdt on AI4I with physics features" -- "$LATHE" tune --data "$F" \
  --target "Machine failure" --drop "$DROP" --model gbdt "${PHYS[@]}" --grid 'refine=true' \
  --metric f1 --cv 5 --quiet --out "$T/cv.lt" --json
python3 - "$T/out" <<'PY' && ok "AI4I gbdt physics: 5-fold CV F1 >= 0.86" || not_ok "AI4I gbdt 5-fold CV F1"
import json, sys
b = json.load(open(sys.argv[1]))["best"]; print("   ", b)
assert b["mean"] >= 0.86, b
PY

# Mean F1 over ten stratified hold-outs (the CLI's split, seeds 0-9).
: > "$T/ho.txt"
for s in 0 1 2 3 4 5 6 7 8 9; do
  "$LATHE" train --data "$F" --target "Machine failure" --drop "$DROP" --model gbdt "${PHYS[@]}" \
    --seed "$s" --out "$T/ho.lt" --json --quiet > "$T/ho.json" 2> "$T/ho.err" &&
    python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['metrics']['f1'])" "$T/ho.json" >> "$T/ho.txt"
done
python3 - "$T/ho.txt" <<'PY' && ok "AI4I gbdt physics: mean F1 over 10 stratified hold-outs >= 0.88" || not_ok "AI4I gbdt mean hold-out F1"
import statistics, sys
f = [float(l) for l in open(sys.argv[1])]
print("    F1 per hold-out", [round(x, 4) for x in f], "mean %.4f" % statistics.mean(f))
assert len(f) == 10 and statistics.mean(f) >= 0.88, f
PY

# ---- C-MAPSS FD001 ----
S="2 3 4 7 8 9 11 12 13 14 15 17 20 21"
# windows FILE [RULFILE]: features per row (train) or the last row per unit with its true RUL (test).
windows() {
  zcat "$1" | awk -v S="$S" -v cap=125 -v rulf="${2:-}" '
    BEGIN { ns = split(S, s, " "); h = "cycle"
            for (k = 1; k <= ns; k++) h = h ",s" s[k] ",m10_s" s[k] ",m30_s" s[k]
            print h ",RUL"
            if (rulf != "") { i = 0; while ((getline l < rulf) > 0) r[++i] = l + 0 } }
    { n++; u[n] = $1; c[n] = $2; if ($2 > mx[$1]) mx[$1] = $2
      if ($1 != pu) { pu = $1; len = 0 }
      len++
      line = $2
      for (k = 1; k <= ns; k++) {
        v = $(5 + s[k]); hist[k, len] = v
        a10 = 0; a30 = 0; n10 = 0; n30 = 0
        for (q = len; q >= 1 && q > len - 30; q--) { a30 += hist[k, q]; n30++; if (q > len - 10) { a10 += hist[k, q]; n10++ } }
        line = line "," v "," a10 / n10 "," a30 / n30
      }
      row[n] = line }
    END { for (i = 1; i <= n; i++) {
            if (rulf == "") rul = mx[u[i]] - c[i]
            else { if (c[i] != mx[u[i]]) continue; rul = r[u[i]] }
            if (rul > cap) rul = cap
            print row[i] "," rul } }'
}
zcat "$D/RUL_FD001.txt.gz" > "$T/rul.txt"
windows "$D/train_FD001.txt.gz" > "$T/cm_train.csv"
windows "$D/test_FD001.txt.gz" "$T/rul.txt" > "$T/cm_test.csv"
[ "$(wc -l < "$T/cm_test.csv")" = 101 ] && ok "C-MAPSS: 100 test units" || not_ok "C-MAPSS: 100 test units"
expect_exit 0 "train gbdt on FD001 windows" -- "$LATHE" train --data "$T/cm_train.csv" --test "$T/cm_test.csv" \
  --target RUL --model gbdt --param max_depth=4,learning_rate=0.05,n_estimators=300 --out "$T/rul.lt" --json --quiet
python3 - "$T/out" <<'PY' && ok "FD001 gbdt on windows: RMSE <= 16" || not_ok "FD001 gbdt RMSE"
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
print("   ", {k: round(m[k], 3) for k in ("rmse", "mae", "r2")})
assert m["n"] == 100 and m["rmse"] <= 16.0, m
PY
finish
