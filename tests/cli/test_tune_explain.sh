#!/usr/bin/env bash
# lathe tune and lathe explain end to end on simulated data: a small grid,
# the saved best model, permutation importance with an SVG chart, one row's
# contributions, the model's own importance, and usage errors (exit 2).
source "$(dirname "$0")/lib.bash"

for c in tune explain; do
  expect_exit 0 "$c --help" -- "$LATHE" $c --help
  expect_output "usage: lathe $c" "$c --help shows usage"
done

"$LATHE" simulate --machines 6 --hours 60 --seed 5 --out "$T/fleet.csv" 2>/dev/null
DROP=timestamp,product_id,twf,hdf,pwf,osf,rnf

# --- usage errors: exit 2 and say what is accepted ---
expect_exit 2 "bad grid syntax" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --grid 'C0.1,1'
expect_output "NAME=V1,V2" "bad grid names the accepted forms"
expect_exit 2 "range in --grid" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --grid 'C=log:0.1:1'
expect_output "random" "range in a grid points to --random"
expect_exit 2 "unknown parameter" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --grid 'Cee=1,2'
expect_output "known: .*C" "unknown parameter lists the known ones"
expect_exit 2 "bad parameter value" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --grid 'C=1,-1'
expect_exit 2 "bad metric" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --grid 'C=1' --metric auc
expect_output "roc_auc" "bad metric lists the accepted ones"
expect_exit 2 "metric of the wrong task" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --drop $DROP --grid 'C=1' --metric rmse
expect_exit 2 "both --grid and --random" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --grid 'C=1' --random 'C=log:1:2'
expect_exit 2 "bad --split" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --grid 'C=1' --split sideways
expect_exit 2 "bad --cv" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --grid 'C=1' --cv 1
expect_exit 1 "missing data file" -- "$LATHE" tune --data "$T/nope.csv" --target failure --grid 'C=1'
expect_output "nope.csv" "missing file is named"

# --- grid search with logreg ---
expect_exit 0 "tune logreg grid" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --drop $DROP \
  --grid 'C=0.001,0.1,10;solver=lbfgs,newton' --cv 3 --out "$T/best.lt"
expect_output "6 candidates x 3 folds \(stratified\)" "says what it searched"
expect_output "^\* " "marks the best trial"
expect_output "roc_auc \(mean ± std\)" "shows mean ± std of the default metric"
expect_output "saved model \(refit on all" "saves the refit model"
[ -s "$T/best.lt" ] && ok "best model written" || not_ok "best model written"

expect_exit 0 "tune --json" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --drop $DROP \
  --grid 'C=0.001,10' --cv 3 --split group:machine --metric pr_auc --json --quiet --out "$T/best2.lt"
cp "$T/out" "$T/tune.json"
python3 - "$T/tune.json" <<'PY' && ok "tune --json: trials, best, folds" || not_ok "tune --json keys"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["metric"] == "pr_auc" and j["split"] == "group" and j["folds"] == 3, j
assert len(j["trials"]) == 2
for t in j["trials"]:
    assert len(t["scores"]) == 3 and t["std"] >= 0 and t["fit_seconds"] >= 0
b = j["best"]
assert b["mean"] == max(t["mean"] for t in j["trials"])
assert j["out"].endswith("best2.lt") and "roc_auc" in j["cv_metrics"]
PY
# Same seed, same result.
"$LATHE" tune --data "$T/fleet.csv" --target failure --drop $DROP --random 'C=log:0.001:10' --n-iter 3 \
  --cv 3 --seed 9 --json --quiet --out "$T/r1.lt" > "$T/r1.json"
"$LATHE" tune --data "$T/fleet.csv" --target failure --drop $DROP --random 'C=log:0.001:10' --n-iter 3 \
  --cv 3 --seed 9 --json --quiet --out "$T/r2.lt" > "$T/r2.json"
python3 - "$T/r1.json" "$T/r2.json" <<'PY' && ok "random search is deterministic for a seed" || not_ok "random search determinism"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
strip = lambda j: [(t["params"], t["mean"]) for t in j["trials"]]
assert strip(a) == strip(b) and len(a["trials"]) == 3
PY

# The saved model carries its CV score and predicts like any other.
expect_exit 0 "info on the tuned model" -- "$LATHE" info "$T/best.lt"
expect_output "metrics on cv rows" "info shows the CV metrics"
expect_output "selected_by" "provenance says it was tuned"
expect_exit 0 "predict with the tuned model" -- "$LATHE" predict --model "$T/best.lt" --data "$T/fleet.csv" --out "$T/pred.csv"

# --- explain ---
expect_exit 0 "explain without data: coefficients" -- "$LATHE" explain --model "$T/best.lt"
expect_output "torque_nm" "coefficients name the features"
expect_exit 0 "explain --data --svg" -- "$LATHE" explain --model "$T/best.lt" --data "$T/fleet.csv" \
  --repeats 3 --svg "$T/perm.svg"
expect_output "permutation importance" "permutation importance table"
expect_output "torque_nm" "lists the input columns"
python3 - "$T/perm.svg" <<'PY' && ok "permutation SVG is well-formed XML with every column" || not_ok "permutation SVG"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg"
text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
for c in ("torque_nm", "rotational_speed_rpm", "tool_wear_min", "type", "machine"):
    assert c in text, c
PY
expect_exit 0 "explain --json" -- "$LATHE" explain --model "$T/best.lt" --data "$T/fleet.csv" --repeats 2 --json --top 3
cp "$T/out" "$T/perm.json"
python3 - "$T/perm.json" <<'PY' && ok "explain --json: sorted, top 3" || not_ok "explain --json"
import json, sys
j = json.load(open(sys.argv[1]))
imp = j["importance"]
assert j["kind"] == "permutation" and j["metric"] == "roc_auc" and len(imp) == 3
assert abs(imp[0]["importance"]) >= abs(imp[1]["importance"]) >= abs(imp[2]["importance"])
PY
expect_exit 0 "explain --row" -- "$LATHE" explain --model "$T/best.lt" --data "$T/fleet.csv" --row 5 --svg "$T/row.svg"
expect_output "occlusion" "row explained by occlusion for logreg"
expect_output "predicted" "says the prediction"
python3 -c "import xml.etree.ElementTree as E,sys; E.parse(sys.argv[1])" "$T/row.svg" \
  && ok "row SVG parses" || not_ok "row SVG parses"
expect_exit 2 "--row without --data" -- "$LATHE" explain --model "$T/best.lt" --row 3
expect_exit 2 "--row 0" -- "$LATHE" explain --model "$T/best.lt" --data "$T/fleet.csv" --row 0
expect_exit 2 "treeshap on logreg" -- "$LATHE" explain --model "$T/best.lt" --data "$T/fleet.csv" --row 3 --method treeshap
expect_exit 2 "bad --metric" -- "$LATHE" explain --model "$T/best.lt" --data "$T/fleet.csv" --metric nope
expect_exit 1 "row past the end" -- "$LATHE" explain --model "$T/best.lt" --data "$T/fleet.csv" --row 999999
expect_output "past the end" "says the row is out of range"
head -1 "$T/fleet.csv" | tr ',' '\n' | grep -vx failure | paste -sd, > "$T/h.csv"
cut -d, -f1-9,11- "$T/fleet.csv" | tail -n +2 > "$T/b.csv"; cat "$T/h.csv" "$T/b.csv" > "$T/nolabel.csv"
expect_exit 1 "permutation importance needs labels" -- "$LATHE" explain --model "$T/best.lt" --data "$T/nolabel.csv"
expect_output "failure" "names the missing target"
expect_exit 0 "--row works on unlabelled rows" -- "$LATHE" explain --model "$T/best.lt" --data "$T/nolabel.csv" --row 2

# --- tree models: gain importance and TreeSHAP (when they are built in) ---
if "$LATHE" models | grep -q '^gbdt'; then
  expect_exit 0 "tune gbdt" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --model gbdt --drop $DROP \
    --grid 'max_depth=2,4' --param n_estimators=20 --cv 3 --quiet --out "$T/g.lt"
  expect_exit 0 "gain importance" -- "$LATHE" explain --model "$T/g.lt" --svg "$T/gain.svg"
  expect_output "gain importance" "gbdt without data gives gain importance"
  expect_exit 0 "treeshap row" -- "$LATHE" explain --model "$T/g.lt" --data "$T/fleet.csv" --row 7 --json
  cp "$T/out" "$T/shap.json"
  python3 - "$T/shap.json" <<'PY' && ok "treeshap contributions add up to the raw score" || not_ok "treeshap additivity"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["method"] == "treeshap"
s = j["base"] + sum(c["contribution"] for c in j["contributions"])
assert abs(s - j["output"]) < 1e-3, (s, j["output"])
PY
else
  echo "skip - gbdt is not in this build"
fi

# --- decision threshold by cross-validation, and a hold-out the choice never sees ---
expect_exit 0 "tune with --tune-threshold and --test-size" -- "$LATHE" tune --data "$T/fleet.csv" \
  --target failure --drop $DROP --grid 'C=1' --cv 3 --metric f1 --tune-threshold --test-size 0.25 \
  --out "$T/thr.lt"
expect_output "^threshold 0\.[0-9]+: out-of-fold F1" "reports the chosen threshold and its F1"
expect_output "metrics on [0-9]+ held-out rows \(not used for choosing\)" "scores the hold-out"
expect_exit 0 "info shows the threshold" -- "$LATHE" info --model "$T/thr.lt"
expect_output "^threshold 0\.[0-9]+ \(predicts 1 where" "info says what the threshold does"
expect_exit 0 "tune --json with a threshold" -- "$LATHE" tune --data "$T/fleet.csv" --target failure \
  --drop $DROP --grid 'C=1' --cv 3 --tune-threshold --test-size 0.25 --json --quiet --out "$T/thr.lt"
python3 - "$T/out" <<'PY' && ok "tune --json: threshold and test metrics" || not_ok "tune --json: threshold and test metrics"
import json, sys
j = json.load(open(sys.argv[1]))
t = j["threshold"]
assert 0 < t["value"] < 1 and t["oof_f1"] >= t["default_oof_f1"], t
assert j["test_rows"] > 0 and "f1" in j["test_metrics"], j
PY
expect_exit 2 "--test and --test-size together" -- "$LATHE" tune --data "$T/fleet.csv" --target failure \
  --grid 'C=1' --test "$T/fleet.csv" --test-size 0.2
cut -d, -f1-5 "$T/fleet.csv" > "$T/narrow.csv"
expect_exit 1 "--test without the training columns fails before the search" -- "$LATHE" tune \
  --data "$T/fleet.csv" --target failure --drop $DROP --grid 'C=1' --test "$T/narrow.csv" --out "$T/n.lt"
expect_output "narrow.csv has no column 'process_temp_k'" "names the missing column"
[ ! -e "$T/n.lt" ] && ok "no model saved when --test is unusable" || not_ok "no model saved when --test is unusable"
expect_exit 2 "--test-size out of range" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --grid 'C=1' --test-size 1
expect_exit 0 "train with a fixed --threshold" -- "$LATHE" train --data "$T/fleet.csv" --target failure \
  --drop $DROP --threshold 0.2 --quiet --out "$T/thr2.lt"
"$LATHE" info --model "$T/thr2.lt" --json | python3 -c 'import json,sys; assert json.load(sys.stdin)["threshold"] == 0.2' \
  && ok "train --threshold is saved" || not_ok "train --threshold is saved"
expect_exit 2 "--threshold outside (0, 1)" -- "$LATHE" train --data "$T/fleet.csv" --target failure --threshold 1
expect_output "strictly between 0 and 1" "says what a threshold must be"
expect_exit 1 "--threshold on a regression" -- "$LATHE" train --data "$T/fleet.csv" --target air_temp_k \
  --drop $DROP --threshold 0.5 --quiet --out "$T/thr3.lt"
expect_output "not a classifier" "a regression has no threshold"

finish
