#!/usr/bin/env bash
# HTTP API end to end: simulate -> train -> lathe serve, then every endpoint
# and error path with curl. The server must survive every bad request.
set -euo pipefail
LATHE=${LATHE:-build/lathe}
PY=/usr/bin/python3
command -v curl > /dev/null || { echo "SKIPPED: curl is not installed"; exit 77; }
[ -x "$PY" ] || PY=python3

T=$(mktemp -d /tmp/lathe-api.XXXXXX)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2> /dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2> /dev/null || true
    wait "$SERVER_PID" 2> /dev/null || true
  fi
  rm -rf "$T"
}
trap cleanup EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [ -f "$T/body" ] && sed 's/^/    /' "$T/body" | head -5 || true; }

# req METHOD PATH [curl args...]: status code on stdout, body in $T/body,
# headers in $T/headers.
req() {
  local m=$1 p=$2; shift 2
  curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' --max-time 30 -X "$m" "$@" \
    "http://127.0.0.1:$PORT$p" || true
}
# check DESCRIPTION WANT_STATUS GOT_STATUS [grep pattern in body]
check() {
  local desc=$1 want=$2 got=$3 pat=${4:-}
  if [ "$got" != "$want" ]; then not_ok "$desc (HTTP $got, wanted $want)"; return; fi
  if [ -n "$pat" ] && ! grep -Fq -- "$pat" "$T/body"; then not_ok "$desc (body lacks '$pat')"; return; fi
  if ! grep -qi '^content-type: application/json' "$T/headers"; then not_ok "$desc (not application/json)"; return; fi
  ok "$desc"
}

# --- a model to serve ---
"$LATHE" simulate --machines 3 --hours 50 --seed 1 --out "$T/fleet.csv" > "$T/sim.log" 2>&1 \
  || { cat "$T/sim.log"; echo "simulate failed"; exit 1; }
mkdir -p "$T/models"
"$LATHE" train --data "$T/fleet.csv" --target failure --drop twf,hdf,pwf,osf,rnf,timestamp,product_id \
  --model logreg --out "$T/models/fail.lt" --quiet > "$T/train.log" 2>&1 \
  || { cat "$T/train.log"; echo "train failed"; exit 1; }
"$LATHE" train --data "$T/fleet.csv" --target failure --drop twf,hdf,pwf,osf,rnf,timestamp,product_id \
  --model logreg --threshold 0.02 --out "$T/models/failthr.lt" --quiet > "$T/train.log" 2>&1 \
  || { cat "$T/train.log"; echo "train --threshold failed"; exit 1; }
echo "garbage" > "$T/models/broken.lt"   # must be skipped, not fatal

# --- start the server on a free port ---
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$LATHE" serve --models "$T/models" --port "$PORT" --host 127.0.0.1 > "$T/serve.log" 2>&1 &
SERVER_PID=$!
up=0
for _ in $(seq 100); do
  kill -0 "$SERVER_PID" 2> /dev/null || break
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/healthz"; then up=1; break; fi
  sleep 0.1
done
if [ "$up" != 1 ]; then cat "$T/serve.log"; echo "server did not come up on port $PORT"; exit 1; fi

check "GET /healthz" 200 "$(req GET /healthz)" '"status":"ok"'
grep -Fq '"models":2' "$T/body" && ok "healthz counts 2 models (broken.lt skipped)" || not_ok "healthz model count"
check "GET /v1/models lists fail" 200 "$(req GET /v1/models)" '"name":"fail"'
cp "$T/body" "$T/models.json"

# Rows copied from the CSV, typed by the served schema (numbers for numeric
# features, strings for categorical ones).
$PY - "$T/models.json" "$T/fleet.csv" "$T" <<'PY'
import csv, json, sys
models = json.load(open(sys.argv[1]))["models"]
feats = [m for m in models if m["name"] == "fail"][0]["features"]
rows = []
with open(sys.argv[2]) as f:
    for i, r in enumerate(csv.DictReader(f)):
        if i >= 5: break
        rows.append({ft["name"]: (float(r[ft["name"]]) if ft["type"] == "numeric" else r[ft["name"]])
                     for ft in feats})
out = sys.argv[3]
json.dump({"rows": rows}, open(out + "/good.json", "w"))
json.dump(rows[0], open(out + "/one.json", "w"))
num = [ft["name"] for ft in feats if ft["type"] == "numeric"][0]
open(out + "/numcol", "w").write(num)
bad = [dict(r) for r in rows]; del bad[3][num]
json.dump({"rows": bad}, open(out + "/missing.json", "w"))
bad = [dict(r) for r in rows]; bad[0][num] = "fast"
json.dump({"rows": bad}, open(out + "/wrongtype.json", "w"))
PY
NUM=$(cat "$T/numcol")

check "predict 5 rows" 200 "$(req POST /v1/models/fail/predict -H 'Content-Type: application/json' --data-binary @"$T/good.json")" '"predictions":['
$PY - "$T/body" <<'PY' && ok "predict body: n=5, 5 predictions, probabilities sum to 1, classes" || not_ok "predict body shape"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["model"] == "fail" and j["n"] == 5, j
assert len(j["predictions"]) == 5 and all(p in j["classes"] for p in j["predictions"]), j
assert len(j["probabilities"]) == 5
for p in j["probabilities"]:
    assert len(p) == len(j["classes"]) and abs(sum(p) - 1) < 1e-4, p
PY
check "predict with a threshold model" 200 "$(req POST /v1/models/failthr/predict --data-binary @"$T/good.json")" '"predictions":['
$PY - "$T/body" "$T/models.json" <<'PY' && ok "threshold model: class 1 exactly where its probability >= 0.02" || not_ok "threshold model predictions"
import json, sys
j = json.load(open(sys.argv[1]))
m = [m for m in json.load(open(sys.argv[2]))["models"] if m["name"] == "failthr"][0]
assert m["threshold"] == 0.02, m
k = j["classes"].index("1")
for pred, pr in zip(j["predictions"], j["probabilities"]):
    assert pred == ("1" if pr[k] >= 0.02 else "0"), (pred, pr)
assert any(pr[k] < 0.5 and pred == "1" for pred, pr in zip(j["predictions"], j["probabilities"])), j
PY
check "predict one bare object" 200 "$(req POST /v1/models/fail/predict --data-binary @"$T/one.json")" '"n":1'
check "unknown model 404" 404 "$(req POST /v1/models/nosuch/predict --data-binary @"$T/one.json")" "nosuch"
check "malformed JSON 400" 400 "$(req POST /v1/models/fail/predict --data-binary '{"rows": [{"a": 1,')" 'line 1'
check "missing column 400" 400 "$(req POST /v1/models/fail/predict --data-binary @"$T/missing.json")" "rows[3]: missing column '$NUM'"
check "wrong type 400" 400 "$(req POST /v1/models/fail/predict --data-binary @"$T/wrongtype.json")" "rows[0].$NUM: expected a number, got string"
check "empty rows 400" 400 "$(req POST /v1/models/fail/predict --data-binary '{"rows": []}')" '"error"'
head -c 10000000 /dev/zero | tr '\0' ' ' > "$T/big.json"
check "10 MB body 413" 413 "$(req POST /v1/models/fail/predict --data-binary @"$T/big.json")" '"error"'
check "10 MB chunked body 413" 413 "$(req POST /v1/models/fail/predict -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.json")" '"error"'
check "GET on predict 405" 405 "$(req GET /v1/models/fail/predict)" '"error"'
grep -qi '^allow: POST' "$T/headers" && ok "405 names the allowed method" || not_ok "405 Allow header"
check "unknown path 404" 404 "$(req GET /v2/nothing)" '"error"'

# --- concurrent predicts give the same answers as serial ones ---
req POST /v1/models/fail/predict --data-binary @"$T/good.json" > /dev/null
cp "$T/body" "$T/serial.json"
pids=()
for i in $(seq 8); do
  curl -s --max-time 30 -o "$T/par$i.json" --data-binary @"$T/good.json" \
    "http://127.0.0.1:$PORT/v1/models/fail/predict" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
same=1
for i in $(seq 8); do
  $PY -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); a.pop("predict_ms",0); b.pop("predict_ms",0); sys.exit(a!=b)' \
    "$T/serial.json" "$T/par$i.json" || same=0
done
[ "$same" = 1 ] && ok "8 concurrent predicts match the serial answer" || not_ok "concurrent predicts differ"

check "healthz after the bad requests" 200 "$(req GET /healthz)" '"status":"ok"'
kill -0 "$SERVER_PID" 2> /dev/null && ok "server still running" || not_ok "server died"

# --- clean shutdown on SIGTERM, and no sanitizer report (ASan builds) ---
kill -TERM "$SERVER_PID" 2> /dev/null || true
rc=0
for _ in $(seq 100); do kill -0 "$SERVER_PID" 2> /dev/null || break; sleep 0.1; done
wait "$SERVER_PID" || rc=$?
SERVER_PID=
[ "$rc" = 0 ] && ok "SIGTERM stops the server with exit 0" || { not_ok "server exit code $rc"; cat "$T/serve.log"; }
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$T/serve.log"; then
  not_ok "sanitizer report in the server log"; head -40 "$T/serve.log"
else
  ok "no sanitizer report in the server log"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
