#!/usr/bin/env bash
# Real data: isolation forest on SKAB (valve1 + valve2, the upstream split:
# train on each file's first 400 rows, score the rest against its `anomaly`
# label) and k-means on AI4I 2020's sensor columns scored by ARI.
# Skips (77) when the datasets are absent.
source "$(dirname "$0")/../cli/lib.bash"
SKAB="$LATHE_DATA/skab"
AI4I="$LATHE_DATA/ai4i2020/ai4i2020.csv"
if [ ! -d "$SKAB/valve1" ] || [ ! -f "$AI4I" ]; then
  echo "SKIPPED: $SKAB or $AI4I is absent (set LATHE_DATA to the datasets folder)"; exit 77
fi

# --- SKAB: mean per-file ROC AUC of the anomaly score ---
: > "$T/aucs.txt"
for f in "$SKAB"/valve1/*.csv "$SKAB"/valve2/*.csv; do
  head -401 "$f" > "$T/train.csv"
  { head -1 "$f"; tail -n +402 "$f"; } > "$T/test.csv"
  "$LATHE" train --data "$T/train.csv" --model iforest --drop datetime,anomaly,changepoint \
    --test-size 0 --seed 1 --out "$T/if.lt" --quiet --json > /dev/null
  "$LATHE" eval --model "$T/if.lt" --data "$T/test.csv" --target anomaly --json > "$T/ev.json"
  json_get "$T/ev.json" 'j["metrics"]["roc_auc"]' >> "$T/aucs.txt"
done
files=$(wc -l < "$T/aucs.txt")
mean=$(awk '{ s += $1 } END { printf "%.4f", s / NR }' "$T/aucs.txt")
echo "SKAB valve1+valve2: iforest mean ROC AUC over $files files = $mean"
[ "$files" = 20 ] && ok "scored 20 SKAB files" || not_ok "scored 20 SKAB files (got $files)"
# Measured 0.7361 (seed 1). scikit-learn's IsolationForest on the same split and
# scaling: 0.742 / 0.765 / 0.724 with random_state 0 / 1 / 2. Margin for seed noise.
awk -v m="$mean" 'BEGIN { exit !(m >= 0.70) }' && ok "SKAB mean ROC AUC $mean >= 0.70" \
  || not_ok "SKAB mean ROC AUC $mean >= 0.70"

# --- AI4I: k-means on the five sensor columns, ARI against Type and failure ---
# Reported, not asserted: the sensors do not separate by product type (ARI ~ 0,
# measured -0.001 for both), so this checks that labelled cluster evaluation runs.
DROP="UDI,Product ID,Type,Machine failure,TWF,HDF,PWF,OSF,RNF"
expect_exit 0 "kmeans on AI4I sensors" -- "$LATHE" train --data "$AI4I" --model kmeans --param k=3 \
  --drop "$DROP" --test-size 0 --out "$T/km.lt" --json --quiet
for label in Type "Machine failure"; do
  expect_exit 0 "eval kmeans --target $label" -- "$LATHE" eval --model "$T/km.lt" --data "$AI4I" --target "$label" --json
  ari=$(json_get "$T/out" 'j["metrics"]["ari"]')
  echo "AI4I: k-means (k=3) ARI against $label = $ari"
  awk -v a="$ari" 'BEGIN { exit !(a >= -1 && a <= 1) }' && ok "ARI against $label in [-1, 1]" \
    || not_ok "ARI against $label in [-1, 1] ($ari)"
done
finish
