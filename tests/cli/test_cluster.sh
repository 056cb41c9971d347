#!/usr/bin/env bash
# lathe cluster, and train/eval of the unsupervised models (kmeans, iforest)
# on generated data: blobs with a known grouping, and planted anomalies.
source "$(dirname "$0")/lib.bash"

# 4 well-separated blobs in 3-D, 150 rows each (Box-Muller on awk's rand).
awk 'BEGIN { srand(7); print "id,blob,x,y,z";
  split("0 0 0|12 0 0|0 12 0|0 0 12", C, "|");
  for (b = 1; b <= 4; b++) { split(C[b], c, " ");
    for (i = 0; i < 150; i++) { printf "%d,%d", (b - 1) * 150 + i, b - 1;
      for (f = 1; f <= 3; f++) { u = rand(); v = rand(); if (u < 1e-12) u = 1e-12;
        printf ",%.5f", c[f] + sqrt(-2 * log(u)) * cos(6.283185307 * v) }
      printf "\n" } } }' > "$T/blobs.csv"

expect_exit 0 "cluster --help" -- "$LATHE" cluster --help
expect_output "usage: lathe cluster" "cluster --help shows usage"
expect_exit 0 "cluster --k 4" -- "$LATHE" cluster --data "$T/blobs.csv" --k 4 --drop id,blob --out "$T/c4.csv"
expect_output "silhouette" "cluster prints the silhouette"
expect_output "^cluster +rows +share +x +y +z" "cluster prints centroids in the input columns"
head -1 "$T/c4.csv" | grep -q '^id,blob,x,y,z,cluster$' && ok "output adds a cluster column" || not_ok "cluster column"
[ "$(wc -l < "$T/c4.csv")" = 601 ] && ok "every row is written" || not_ok "row count"
# Each blob lands in exactly one cluster and the 4 clusters differ.
pairs=$(awk -F, 'NR > 1 { print $2 "-" $6 }' "$T/c4.csv" | sort -u | wc -l)
[ "$pairs" = 4 ] && ok "clusters recover the blobs" || not_ok "clusters recover the blobs ($pairs blob-cluster pairs)"

expect_exit 0 "cluster --k auto --json" -- "$LATHE" cluster --data "$T/blobs.csv" --k auto --max-k 8 \
  --drop id,blob --out "$T/ca.csv" --json --seed 3
cp "$T/out" "$T/auto.json"
[ "$(json_get "$T/auto.json" 'j["k"]')" = 4 ] && ok "--k auto finds k = 4" || not_ok "--k auto finds k = 4"
[ "$(json_get "$T/auto.json" 'len(j["tried"])')" = 7 ] && ok "--k auto reports k = 2..8" || not_ok "tried list"
expect_exit 0 "cluster to stdout" -- "$LATHE" cluster --data "$T/blobs.csv" --k 2 --drop id,blob --quiet
expect_output "^id,blob,x,y,z,cluster" "rows go to stdout without --out"
expect_exit 0 "cluster --model-out then predict" -- "$LATHE" cluster --data "$T/blobs.csv" --k 4 \
  --drop id,blob --out "$T/c.csv" --model-out "$T/km.lt" --param algorithm=hamerly
expect_exit 0 "predict with the saved kmeans" -- "$LATHE" predict --model "$T/km.lt" --data "$T/blobs.csv" --out "$T/p.csv"

expect_exit 2 "--k 0 is a usage error" -- "$LATHE" cluster --data "$T/blobs.csv" --k 0
expect_output "--k must be an integer >= 1 or 'auto'" "bad k is explained"
expect_exit 2 "--k abc is a usage error" -- "$LATHE" cluster --data "$T/blobs.csv" --k abc
expect_exit 2 "--k larger than the rows" -- "$LATHE" cluster --data "$T/blobs.csv" --k 5000
expect_output "larger than the number of rows" "k > n is explained"
expect_exit 2 "--k missing" -- "$LATHE" cluster --data "$T/blobs.csv"
expect_exit 1 "missing file" -- "$LATHE" cluster --data "$T/nope.csv" --k 3
expect_exit 2 "kmeans k=0 through train" -- "$LATHE" train --data "$T/blobs.csv" --model kmeans --param k=0 --drop id,blob --quiet
expect_output "'k'" "train names the bad parameter k"

# train --model kmeans: inertia, fit and predict seconds in --json
expect_exit 0 "train kmeans --json" -- "$LATHE" train --data "$T/blobs.csv" --model kmeans --param k=4 \
  --drop id,blob --json --quiet --out "$T/k.lt"
cp "$T/out" "$T/k.json"
python3 - "$T/k.json" <<'PY' && ok "train kmeans --json has inertia, silhouette, timings" || not_ok "train kmeans --json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["task"] == "cluster", j
assert j["metrics"]["inertia"] > 0 and j["metrics"]["silhouette"] > 0.5, j
assert j["fit_seconds"] > 0 and j["predict_seconds"] >= 0
assert j["model_info"]["k"] == 4 and sum(j["model_info"]["sizes"]) == j["train_rows"]
PY
expect_exit 0 "eval kmeans --target blob" -- "$LATHE" eval --model "$T/k.lt" --data "$T/blobs.csv" --target blob --json
expect_output '"ari":1[,.]' "eval reports ARI 1 against the blobs"

# iforest: 1000 normal rows, 20 planted anomalies (label column 'anomaly').
awk 'BEGIN { srand(11); print "id,a,b,c,anomaly";
  for (i = 0; i < 1020; i++) { out = i >= 1000; printf "%d", i;
    for (f = 0; f < 3; f++) { u = rand(); v = rand(); if (u < 1e-12) u = 1e-12;
      g = sqrt(-2 * log(u)) * cos(6.283185307 * v); if (out) g = (g < 0 ? -1 : 1) * (4 + 2 * rand());
      printf ",%.5f", g }
    printf ",%d\n", out } }' > "$T/anom.csv"
expect_exit 0 "train iforest" -- "$LATHE" train --data "$T/anom.csv" --model iforest --drop id,anomaly \
  --test-size 0 --out "$T/if.lt" --json --quiet
expect_output '"flagged"' "train iforest reports the share flagged"
expect_exit 0 "eval iforest --target anomaly" -- "$LATHE" eval --model "$T/if.lt" --data "$T/anom.csv" --target anomaly --json
cp "$T/out" "$T/ev.json"
python3 - "$T/ev.json" <<'PY' && ok "eval iforest reports roc_auc > 0.95 and pr_auc" || not_ok "eval iforest roc_auc"
import json, sys
j = json.load(open(sys.argv[1]))
m = j["metrics"]
assert m["roc_auc"] > 0.95 and 0 < m["pr_auc"] <= 1 and m["positives"] == 20, m
PY
expect_exit 0 "eval iforest human output" -- "$LATHE" eval --model "$T/if.lt" --data "$T/anom.csv" --target anomaly
expect_output "roc_auc" "human eval shows roc_auc"
expect_exit 1 "eval iforest with an unknown label column" -- "$LATHE" eval --model "$T/if.lt" --data "$T/anom.csv" --target nosuch
expect_exit 0 "train iforest with contamination" -- "$LATHE" train --data "$T/anom.csv" --model iforest \
  --drop id,anomaly --param contamination=0.1 --test-size 0 --out "$T/if2.lt" --json --quiet
python3 - "$T/out" <<'PY' && ok "contamination=0.1 flags about 10% of training rows" || not_ok "contamination flagged"
import json, sys
j = json.load(open(sys.argv[1]))
assert abs(j["metrics"]["flagged"] - 0.1) < 0.01, j["metrics"]
PY
# supervised model: --target must be its own target
"$LATHE" train --data "$T/anom.csv" --target anomaly --drop id --out "$T/lr.lt" --quiet > /dev/null
expect_exit 2 "eval --target other than the model's target" -- "$LATHE" eval --model "$T/lr.lt" --data "$T/anom.csv" --target a
expect_output "does not match the model's target" "mismatched --target is explained"
expect_exit 0 "eval --target = the model's target" -- "$LATHE" eval --model "$T/lr.lt" --data "$T/anom.csv" --target anomaly

finish
