# Helpers for the end-to-end shell tests (sourced). Each test script runs
# under `set -euo pipefail`, gets LATHE (the binary) from CTest, and prints
# "N passed, M failed" at the end.
set -euo pipefail
LATHE=${LATHE:-build/lathe}
LATHE_DATA=${LATHE_DATA:-${LATHE_DATA_DEFAULT:-../shared/datasets}}
T=$(mktemp -d /tmp/lathe-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }

# expect_exit CODE DESCRIPTION -- CMD...   (stdout+stderr kept in $T/out)
expect_exit() {
  local want=$1 desc=$2; shift 3
  set +e; "$@" > "$T/out" 2>&1; local got=$?; set -e
  if [ "$got" = "$want" ]; then ok "$desc"; else not_ok "$desc (exit $got, wanted $want)"; sed 's/^/    /' "$T/out" | head -20; fi
}
# expect_output PATTERN DESCRIPTION: grep -E PATTERN in $T/out
expect_output() {
  if grep -Eq -- "$1" "$T/out"; then ok "$2"; else not_ok "$2 (no /$1/ in output)"; sed 's/^/    /' "$T/out" | head -20; fi
}
finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" = 0 ]
}
# json_get FILE EXPR: evaluate a Python expression on the parsed JSON `j`.
json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
