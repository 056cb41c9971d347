#!/usr/bin/env bash
# Side-by-side benchmark: lathe and scikit-learn/pandas on the same files,
# in one run, on this machine. Writes bench/out/results.json and
# docs/benchmarks.md. usage: bench/run.sh [path/to/lathe]
set -euo pipefail
cd "$(dirname "$0")/.."
LATHE=${1:-build/lathe}
BUILD=$(dirname "$LATHE")
DATA=${LATHE_DATA:-../shared/datasets}
OUT=bench/out
REPEATS=${REPEATS:-7}
CSV_REPEATS=${CSV_REPEATS:-31}  # parses take milliseconds: more runs for a steady median
PY=/usr/bin/python3   # Debian's python, where python3-sklearn lives
mkdir -p "$OUT"
[ -f "$DATA/ai4i2020/ai4i2020.csv" ] || { echo "bench: $DATA/ai4i2020 is absent (set LATHE_DATA)"; exit 1; }

echo "bench: preparing data" >&2
$PY bench/prep_data.py "$DATA" "$OUT" >&2
cp "$DATA/ai4i2020/ai4i2020.csv" "$OUT/ai4i2020.csv"
"$LATHE" simulate --machines 50 --hours 500 --seed 1 --out "$OUT/fleet.csv" --quiet

run_lathe() {  # name, then lathe train args; REPEATS runs -> $OUT/lathe_<name>.jsonl
  local name=$1; shift
  : > "$OUT/lathe_$name.jsonl"
  for i in $(seq "$REPEATS"); do
    "$LATHE" train "$@" --json --quiet --out "$OUT/$name.lt" >> "$OUT/lathe_$name.jsonl"
  done
  echo "bench: lathe $name done" >&2
}
AI4I=(--data "$OUT/ai4i_train.csv" --test "$OUT/ai4i_test.csv" --target "Machine failure"
      --drop "UDI,Product ID,TWF,HDF,PWF,OSF,RNF")
run_lathe ai4i_logreg_lbfgs "${AI4I[@]}" --model logreg --solver lbfgs
run_lathe ai4i_logreg_newton "${AI4I[@]}" --model logreg --solver newton
"$LATHE" tune --data "$OUT/ai4i_train.csv" --test "$OUT/ai4i_test.csv" --target "Machine failure" \
  --drop "UDI,Product ID,TWF,HDF,PWF,OSF,RNF" --model logreg --grid 'C=1' --tune-threshold \
  --json --quiet --out "$OUT/logreg_thr.lt" > "$OUT/logreg_thr.json"
CM=(--data "$OUT/cmapss_train.csv" --test "$OUT/cmapss_test.csv" --target RUL --drop unit,cycle)
run_lathe cmapss_linreg "${CM[@]}" --model linreg --solver lstsq

: > "$OUT/lathe_csv.jsonl"
"$BUILD/bench_csv" "$OUT/ai4i2020.csv" "$CSV_REPEATS" >> "$OUT/lathe_csv.jsonl"
"$BUILD/bench_csv" "$OUT/train_FD001.txt" "$CSV_REPEATS" --no-header >> "$OUT/lathe_csv.jsonl"
"$BUILD/bench_csv" "$OUT/fleet.csv" "$CSV_REPEATS" >> "$OUT/lathe_csv.jsonl"
echo "bench: lathe CSV done" >&2

echo "bench: scikit-learn / pandas" >&2
$PY bench/peers.py "$OUT" "$REPEATS" "$CSV_REPEATS" > "$OUT/peers.json"
$PY bench/report.py "$OUT" > "$OUT/benchmarks.md"

# Further sections: each bench/sections/NAME.sh runs lathe and its peers side by
# side and prints a markdown section on stdout. They get LATHE, BUILD, DATA, OUT,
# REPEATS and PY in the environment. BENCH_ONLY=NAME runs just one of them.
export LATHE BUILD DATA OUT REPEATS PY
for s in bench/sections/*.sh; do
  [ -e "$s" ] || continue
  name=$(basename "$s" .sh)
  [ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$name" ] && continue
  echo "bench: section $name" >&2
  bash "$s" > "$OUT/section_$name.md"
done
cat "$OUT/benchmarks.md" > docs/benchmarks.md
for f in "$OUT"/section_*.md; do [ -e "$f" ] && { echo; cat "$f"; } >> docs/benchmarks.md; done
echo "bench: wrote docs/benchmarks.md" >&2
