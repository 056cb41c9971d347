#!/usr/bin/env bash
# Benchmark section: lathe kmeans / iforest vs scikit-learn KMeans /
# IsolationForest, side by side in one run on the same files (bench/run.sh
# passes LATHE, BUILD, DATA, OUT, REPEATS, PY). Prints a markdown section.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPEATS=${REPEATS:-5}
PY=${PY:-/usr/bin/python3}
[ -f "$OUT/fleet.csv" ] || "$LATHE" simulate --machines 50 --hours 500 --seed 1 --out "$OUT/fleet.csv" --quiet
$PY "$HERE/clustering_peers.py" prep "$OUT" "$DATA"

J="$OUT/clu_lathe.jsonl"
: > "$J"
get() { $PY -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
for i in $(seq "$REPEATS"); do
  for algo in lloyd hamerly; do
    "$LATHE" train --data "$OUT/fleet_sensors.csv" --model kmeans --drop failure --test-size 0 --seed 0 \
      --param k=8,n_init=1,algorithm=$algo --json --quiet --out "$OUT/clu_km.lt" > "$OUT/clu.json"
    echo "{\"case\":\"kmeans_$algo\",\"fit\":$(get "$OUT/clu.json" 'j["fit_seconds"]'),\"predict\":$(get "$OUT/clu.json" 'j["predict_seconds"]'),\"inertia\":$(get "$OUT/clu.json" 'j["metrics"]["inertia"]'),\"n_iter\":$(get "$OUT/clu.json" 'j["model_info"]["n_iter"]')}" >> "$J"
  done
  # isolation forest: fleet (fit and score all rows, label = failure) and SKAB
  for c in "fleet fleet_sensors.csv fleet_sensors.csv failure" "skab skab_train.csv skab_test.csv anomaly"; do
    set -- $c
    drop=$([ "$1" = fleet ] && echo "--drop failure" || echo "")
    "$LATHE" train --data "$OUT/$2" --model iforest $drop --test-size 0 --seed 0 \
      --param n_estimators=100,max_samples=256 --json --quiet --out "$OUT/clu_if.lt" > "$OUT/clu.json"
    "$LATHE" eval --model "$OUT/clu_if.lt" --data "$OUT/$3" --target "$4" --json > "$OUT/clu_ev.json"
    echo "{\"case\":\"iforest_$1\",\"fit\":$(get "$OUT/clu.json" 'j["fit_seconds"]'),\"predict\":$(get "$OUT/clu_ev.json" 'j["predict_seconds"]'),\"roc_auc\":$(get "$OUT/clu_ev.json" 'j["metrics"]["roc_auc"]')}" >> "$J"
  done
done
echo "bench: clustering lathe done" >&2
$PY "$HERE/clustering_peers.py" peers "$OUT" "$REPEATS" > "$OUT/clu_peers.json"
$PY "$HERE/clustering_peers.py" report "$OUT"
