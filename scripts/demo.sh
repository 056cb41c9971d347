#!/usr/bin/env bash
# make demo: simulate a milling-machine fleet, train a failure model on it,
# print its metrics, and serve it over HTTP on 127.0.0.1 (Ctrl-C stops).
set -euo pipefail
LATHE=${1:-build/lathe}
DATA_DIR=${LATHE_DATA_DIR:-lathe-data}
PORT=${PORT:-8080}
mkdir -p "$DATA_DIR/models"

echo "== 1. simulate 20 machines for 300 hours (docs/simulator.md)"
"$LATHE" simulate --machines 20 --hours 300 --seed 7 --out "$DATA_DIR/fleet.csv"

echo
echo "== 2. train a failure model (gradient-boosted trees); whole machines are held out, so no rows of a test machine are seen in training"
"$LATHE" train --data "$DATA_DIR/fleet.csv" --target failure \
  --drop timestamp,machine,product_id,twf,hdf,pwf,osf,rnf --split group:machine \
  --model gbdt --out "$DATA_DIR/models/failure.lt"

echo
echo "== 3. why does it predict failures? (permutation importance on 5000 rows; chart: $DATA_DIR/importance.svg)"
"$LATHE" explain --model "$DATA_DIR/models/failure.lt" --data "$DATA_DIR/fleet.csv" --max-rows 5000 \
  --repeats 3 --svg "$DATA_DIR/importance.svg" --quiet

echo
echo "== 4. serve it"
# Find a free port from $PORT upwards.
for p in $(seq "$PORT" $((PORT + 50))); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
# One real row of the fleet as the example request (failure-mode columns left out).
ROW=$(awk -F, 'NR==1{for(i=1;i<=NF;i++)h[i]=$i; next}
  NR==2{printf "{"; sep="";
    for(i=1;i<=NF;i++){ if(h[i]~/^(failure|twf|hdf|pwf|osf|rnf)$/) continue;
      v=$i; if(v !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) v="\"" v "\"";
      printf "%s\"%s\":%s", sep, h[i], v; sep=","}
    printf "}"; exit}' "$DATA_DIR/fleet.csv")
cat <<MSG
lathe serves on http://127.0.0.1:$PORT/   (Ctrl-C to stop)

  curl -s http://127.0.0.1:$PORT/v1/models
  curl -s -X POST http://127.0.0.1:$PORT/v1/models/failure/predict \\
       -H 'Content-Type: application/json' -d '{"rows":[$ROW]}'

MSG
exec "$LATHE" serve --models "$DATA_DIR/models" --port "$PORT" --host 127.0.0.1
