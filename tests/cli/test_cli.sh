#!/usr/bin/env bash
# End to end through the command: simulate -> train -> info -> predict -> eval,
# plus --help everywhere, usage errors (exit 2) and bad input (exit 1, clear message).
source "$(dirname "$0")/lib.bash"

for c in simulate train eval predict info serve; do
  expect_exit 0 "$c --help" -- "$LATHE" $c --help
  expect_output "usage: lathe $c" "$c --help shows usage"
done
expect_exit 0 "lathe --help" -- "$LATHE" --help
expect_exit 2 "unknown command" -- "$LATHE" frobnicate
expect_exit 2 "unknown flag" -- "$LATHE" train --data x.csv --target y --bogus 1
expect_output "unknown flag '--bogus'" "unknown flag is named"
expect_exit 2 "train without --data" -- "$LATHE" train --target y
expect_exit 2 "bad --test-size" -- "$LATHE" train --data x --target y --test-size 2
expect_exit 2 "unknown model" -- "$LATHE" train --data x --target y --model nosuch
expect_output "logreg" "unknown model message lists the known models"

# --- the main path on simulated data ---
expect_exit 0 "simulate" -- "$LATHE" simulate --machines 4 --hours 60 --seed 3 --out "$T/fleet.csv"
[ "$(wc -l < "$T/fleet.csv")" -gt 1000 ] && ok "simulate wrote rows" || not_ok "simulate wrote rows"
"$LATHE" simulate --machines 4 --hours 60 --seed 3 --out "$T/fleet2.csv" 2>/dev/null
cmp -s "$T/fleet.csv" "$T/fleet2.csv" && ok "simulate is deterministic" || not_ok "simulate is deterministic"

DROP=timestamp,product_id,twf,hdf,pwf,osf,rnf
expect_exit 0 "train logreg --json" -- "$LATHE" train --data "$T/fleet.csv" --target failure --drop $DROP \
  --split group:machine --out "$T/m.lt" --json --quiet
cp "$T/out" "$T/train.json"
python3 - "$T/train.json" <<'PY' && ok "train --json has metrics, fit_seconds, predict_seconds" || not_ok "train --json keys"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["task"] == "classification"
for k in ("accuracy", "f1", "roc_auc", "log_loss", "pr_auc"): assert k in j["metrics"], k
assert j["fit_seconds"] > 0 and j["predict_seconds"] >= 0
assert 0.5 < j["metrics"]["roc_auc"] <= 1.0, j["metrics"]
PY
expect_exit 0 "train human output" -- "$LATHE" train --data "$T/fleet.csv" --target failure --drop $DROP --out "$T/m2.lt"
expect_output "roc_auc" "human output shows a metrics table"
expect_exit 0 "info" -- "$LATHE" info "$T/m.lt"
expect_output "air_temp_k" "info lists the input columns"
expect_exit 0 "info --json" -- "$LATHE" info --model "$T/m.lt" --json
expect_output '"classes":\["0","1"\]' "info --json gives the classes"

expect_exit 0 "predict to file" -- "$LATHE" predict --model "$T/m.lt" --data "$T/fleet.csv" --out "$T/pred.csv"
head -1 "$T/pred.csv" | grep -q "prediction,proba_0,proba_1" && ok "predict adds prediction and probabilities" || not_ok "predict columns"
[ "$(wc -l < "$T/pred.csv")" = "$(wc -l < "$T/fleet.csv")" ] && ok "one prediction per row" || not_ok "one prediction per row"
expect_exit 0 "predict to stdout with --keep" -- "$LATHE" predict --model "$T/m.lt" --data "$T/fleet.csv" --keep machine
expect_output "^machine,prediction,proba_0,proba_1" "--keep selects columns"
expect_exit 0 "eval --json" -- "$LATHE" eval --model "$T/m.lt" --data "$T/fleet.csv" --json
expect_output '"predict_seconds"' "eval --json reports predict_seconds"

# regression on the same data
expect_exit 0 "train linreg" -- "$LATHE" train --data "$T/fleet.csv" --target torque_nm --model linreg \
  --drop $DROP,failure --json --quiet --out "$T/r.lt"
expect_output '"rmse"' "linreg reports rmse"
expect_exit 0 "--test-size 0 trains on every row" -- "$LATHE" train --data "$T/fleet.csv" --target failure \
  --drop $DROP --test-size 0 --json --quiet --out "$T/all.lt"
expect_output '"evaluated_on":"train"' "says it evaluated on training rows"
head -200 "$T/fleet.csv" > "$T/test.csv"
expect_exit 0 "--test FILE" -- "$LATHE" train --data "$T/fleet.csv" --target failure --drop $DROP \
  --test "$T/test.csv" --json --quiet --out "$T/t.lt"
expect_output '"test_rows":199' "evaluated on the --test file"
for s in random stratified time:timestamp; do
  expect_exit 0 "--split $s" -- "$LATHE" train --data "$T/fleet.csv" --target failure --drop $DROP --split $s --quiet --out "$T/s.lt"
done
expect_exit 0 "--solver newton" -- "$LATHE" train --data "$T/fleet.csv" --target failure --drop $DROP --solver newton --quiet --out "$T/n.lt"
expect_exit 2 "bad parameter value" -- "$LATHE" train --data "$T/fleet.csv" --target failure --drop $DROP --param C=-1 --out "$T/x.lt"
expect_output "C" "bad parameter is named"

# --- target handling: class order, regression by default, ids ---
awk -F, 'NR==1{print "temp,speed,failed"; next} {printf "%s,%s,%s\n", $5, $7, ($10==1 ? "yes" : "no")}' "$T/fleet.csv" > "$T/yesno.csv"
sed -n '1p' "$T/yesno.csv" > "$T/yesno_first.csv"; grep ',yes$' "$T/yesno.csv" | head -1 >> "$T/yesno_first.csv"
grep -v ',yes$' "$T/yesno.csv" | tail -n +2 >> "$T/yesno_first.csv"; grep ',yes$' "$T/yesno.csv" | tail -n +2 >> "$T/yesno_first.csv"
expect_exit 0 "text target whose first row is the rare class" -- "$LATHE" train --data "$T/yesno_first.csv" \
  --target failed --out "$T/yn.lt" --quiet
expect_exit 0 "info of the yes/no model" -- "$LATHE" info "$T/yn.lt" --json
expect_output '"classes":\["no","yes"\]' "classes are sorted whatever the row order (positive class = yes)"
expect_exit 0 "numeric target with many values trains a regression by default" -- "$LATHE" train --data "$T/fleet.csv" \
  --target torque_nm --drop $DROP,failure --json --quiet --out "$T/auto.lt"
expect_output '"model":"linreg","task":"regression"' "default model follows the target"
expect_exit 1 "a classifier on a quantity is refused" -- "$LATHE" train --data "$T/fleet.csv" --target torque_nm \
  --model logreg --drop $DROP,failure --quiet --out "$T/x.lt"
expect_output "only classifies" "the message says why and what to do"
# --- files without a header row ---
tail -n +2 "$T/fleet.csv" | cut -d, -f4-10 > "$T/noheader.csv"
expect_exit 0 "--no-header names columns col1.." -- "$LATHE" train --data "$T/noheader.csv" --no-header \
  --target col7 --drop col1 --json --quiet --out "$T/nh.lt"
expect_output '"task":"classification"' "col7 (failure) learned as classes"
expect_exit 0 "predict with --no-header" -- "$LATHE" predict --model "$T/nh.lt" --data "$T/noheader.csv" --no-header --keep col7
expect_output "^col7,prediction" "predict output names the columns"

# --- bad input: clear message, non-zero exit, nothing written ---
expect_exit 1 "missing data file" -- "$LATHE" train --data "$T/nope.csv" --target failure
expect_output "nope.csv" "missing file is named"
printf 'a,b,c\n1,2,3\n4,5\n' > "$T/ragged.csv"
expect_exit 1 "ragged CSV" -- "$LATHE" train --data "$T/ragged.csv" --target c
expect_output "ragged.csv:3" "ragged row gives file:line"
expect_exit 1 "unknown target" -- "$LATHE" train --data "$T/fleet.csv" --target Failure
expect_output "Failure" "unknown target is named"
expect_exit 1 "unknown --drop column" -- "$LATHE" train --data "$T/fleet.csv" --target failure --drop nosuch
: > "$T/empty.csv"
expect_exit 1 "empty CSV" -- "$LATHE" train --data "$T/empty.csv" --target failure
cut -d, -f1-7,9- "$T/fleet.csv" > "$T/missing_col.csv"
expect_exit 1 "predict with a missing column" -- "$LATHE" predict --model "$T/m.lt" --data "$T/missing_col.csv"
expect_output "process_temp_k|air_temp_k|rotational|torque|tool_wear" "missing column is named"
awk -F, 'BEGIN{OFS=","} NR==5{$7="hot"} {print}' "$T/fleet.csv" > "$T/badtype.csv"
expect_exit 1 "predict with text in a numeric column" -- "$LATHE" predict --model "$T/m.lt" --data "$T/badtype.csv"
expect_output "badtype.csv:5:7" "wrong type gives file:line:column"
head -c 100 "$T/m.lt" > "$T/trunc.lt"
expect_exit 1 "truncated model" -- "$LATHE" predict --model "$T/trunc.lt" --data "$T/fleet.csv"
expect_output "trunc.lt" "truncated model file is named"
printf 'not a model at all' > "$T/junk.lt"
expect_exit 1 "junk model" -- "$LATHE" info "$T/junk.lt"
cp "$T/m.lt" "$T/flip.lt"
size=$(stat -c %s "$T/flip.lt")
printf '\xff\xff\xff\xff' | dd of="$T/flip.lt" bs=1 seek=$((size - 6)) conv=notrunc 2>/dev/null
expect_exit 1 "corrupted model" -- "$LATHE" eval --model "$T/flip.lt" --data "$T/fleet.csv"
expect_output "checksum|corrupt" "corruption is detected"
ls "$T"/*.tmp.* >/dev/null 2>&1 && not_ok "no temporary files left" || ok "no temporary files left"
expect_exit 1 "save into a missing directory fails cleanly" -- "$LATHE" train --data "$T/fleet.csv" \
  --target failure --drop $DROP --out /proc/nonexistent/m.lt --quiet

# --- derived columns (--derive): computed at training time and by the saved model ---
for c in train tune cluster; do
  expect_exit 0 "$c --help" -- "$LATHE" $c --help
  expect_output "--derive 'N = EXPR'" "$c --help lists --derive"
done
expect_exit 0 "train with --derive (repeated, and ';' in one value)" -- "$LATHE" train --data "$T/fleet.csv" \
  --target failure --drop $DROP,temp_diff --model gbdt \
  --derive 'power = torque_nm * rotational_speed_rpm * 2 * pi / 60' \
  --derive='temp_diff = process_temp_k - air_temp_k; hot = temp_diff > 10' --out "$T/d.lt" --json --quiet
cp "$T/out" "$T/derive.json"
python3 - "$T/derive.json" <<'PY' && ok "train --json lists the derived columns" || not_ok "train --json derived"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["derived"] == ["power = torque_nm * rotational_speed_rpm * 2 * pi / 60",
                        "temp_diff = process_temp_k - air_temp_k", "hot = temp_diff > 10"], j["derived"]
assert j["metrics"]["roc_auc"] > 0.5
PY
expect_exit 0 "info of a model with derived columns" -- "$LATHE" info "$T/d.lt"
expect_output "^derived +3 columns" "info counts the derived columns"
expect_output "^  power = torque_nm \* rotational_speed_rpm \* 2 \* pi / 60$" "info shows a definition"
expect_exit 0 "info --json with derived columns" -- "$LATHE" info "$T/d.lt" --json
python3 - "$T/out" <<'PY' && ok "info --json: derived list, raw inputs only" || not_ok "info --json derived/inputs"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["derived"][2] == "hot = temp_diff > 10", j["derived"]
names = [i["name"] for i in j["inputs"]]
assert "power" not in names and "hot" not in names and "temp_diff" not in names, names
assert "rotational_speed_rpm" in names and "process_temp_k" in names, names
PY
expect_exit 0 "predict on the raw file computes the derived columns" -- "$LATHE" predict --model "$T/d.lt" \
  --data "$T/fleet.csv" --out "$T/dpred.csv"
[ "$(wc -l < "$T/dpred.csv")" = "$(wc -l < "$T/fleet.csv")" ] && ok "one prediction per raw row" || not_ok "derive predict rows"
# The same rows with the derived columns computed by hand and the model trained on them agree.
python3 - "$T/fleet.csv" "$T/pre.csv" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(list(rows[0].keys()) + ["power", "temp_diff", "hot"])
    for r in rows:
        p = float(r["torque_nm"]) * float(r["rotational_speed_rpm"]) * 2 * math.pi / 60
        d = float(r["process_temp_k"]) - float(r["air_temp_k"])
        w.writerow(list(r.values()) + [repr(p), repr(d), int(d > 10)])
PY
expect_exit 0 "predict on a file that already has the columns (they are recomputed)" -- "$LATHE" predict \
  --model "$T/d.lt" --data "$T/pre.csv" --keep machine --out "$T/dpred2.csv"
cut -d, -f1 --complement "$T/dpred2.csv" > "$T/p2" ; awk -F, 'NR>0{print $(NF-2)","$(NF-1)","$NF}' "$T/dpred.csv" > "$T/p1"
cmp -s "$T/p1" "$T/p2" && ok "same predictions from raw and pre-computed files" || not_ok "raw vs pre-computed predictions"
expect_exit 0 "eval on the raw file" -- "$LATHE" eval --model "$T/d.lt" --data "$T/fleet.csv" --json
expect_output '"roc_auc"' "eval of a derived model reports metrics"
expect_exit 0 "explain names derived features" -- "$LATHE" explain --model "$T/d.lt" --data "$T/fleet.csv" --row 3
expect_output "^  power " "TreeSHAP lists 'power'"
cut -d, -f1-6,8- "$T/fleet.csv" > "$T/nospeed.csv"
expect_exit 1 "predict without a raw column a derived one needs" -- "$LATHE" predict --model "$T/d.lt" --data "$T/nospeed.csv"
expect_output "rotational_speed_rpm" "the missing raw column is named"
expect_exit 2 "--derive syntax error is a usage error" -- "$LATHE" train --data "$T/fleet.csv" --target failure \
  --derive 'power = torque_nm * (rotational_speed_rpm'
expect_output "--derive 'power = torque_nm \* \(rotational_speed_rpm': 42: expected '\)'" "syntax error gives the position"
expect_exit 2 "--derive without '='" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --grid C=1 --derive 'power'
expect_output "'power': 6: expected '='" "missing '=' is reported at the end"
expect_exit 2 "--derive unknown function" -- "$LATHE" cluster --data "$T/fleet.csv" --k 2 --derive 'x = fn(torque_nm)'
expect_output "5: unknown function 'fn'" "unknown function is named"
expect_exit 1 "--derive unknown column" -- "$LATHE" train --data "$T/fleet.csv" --target failure --derive 'power = torq * 2'
expect_output "--derive 'power = torq \* 2': unknown column 'torq'" "unknown column and definition are named"
expect_exit 1 "--derive categorical column" -- "$LATHE" train --data "$T/fleet.csv" --target failure --derive 'p = type * 2'
expect_output "column 'type' is categorical" "categorical column is refused"
expect_exit 1 "--derive name clash" -- "$LATHE" train --data "$T/fleet.csv" --target failure --derive 'torque_nm = 2'
expect_output "already has a column 'torque_nm'" "name clash is reported"
expect_exit 1 "--derive reading the target" -- "$LATHE" train --data "$T/fleet.csv" --target failure --derive 'f2 = failure * 2'
expect_output "reads the target 'failure'" "target leak is refused"
printf 'Torque [Nm],Speed (rpm),ok\n40,1500,1\n60,2800,0\n35,1400,1\n62,2700,0\n41,1550,1\n58,2900,0\n' > "$T/sp.csv"
expect_exit 0 "backtick-quoted column names" -- "$LATHE" train --data "$T/sp.csv" --target ok --test-size 0 \
  --derive 'power = `Torque [Nm]` * `Speed (rpm)` / 1000' --out "$T/sp.lt" --quiet
expect_output "derived +power = \`Torque \[Nm\]\` \* \`Speed \(rpm\)\` / 1000" "train prints the canonical definition"
expect_exit 0 "tune with --derive" -- "$LATHE" tune --data "$T/fleet.csv" --target failure --drop $DROP \
  --grid C=0.1,1 --cv 2 --derive 'temp_diff = process_temp_k - air_temp_k' --out "$T/dt.lt" --quiet
expect_exit 0 "info of the tuned model" -- "$LATHE" info "$T/dt.lt"
expect_output "temp_diff = process_temp_k - air_temp_k" "tuned model keeps the definition"
expect_exit 0 "cluster with --derive" -- "$LATHE" cluster --data "$T/fleet.csv" --k 3 --drop $DROP,machine,failure \
  --derive 'power = torque_nm * rotational_speed_rpm / 1000' --out "$T/cl.csv" --model-out "$T/cl.lt"
expect_output "power" "cluster summary shows the derived feature's centroids"
expect_exit 0 "predict with the cluster model on raw rows" -- "$LATHE" predict --model "$T/cl.lt" --data "$T/fleet.csv" --out "$T/clp.csv"

finish
