#!/usr/bin/env bash
# Install every system dependency of lathe with apt-get. Idempotent: when
# everything is present it only checks (about 30 ms) and exits.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --peers  also the benchmark peers (scikit-learn, ...)
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  libopenblas-dev liblapacke-dev      # BLAS/LAPACK (not in the base image)
  libsqlite3-dev libmicrohttpd-dev libjansson-dev zlib1g-dev
  libcmocka-dev                       # unit tests
  clang libclang-rt-14-dev            # sanitizers under clang and libFuzzer
  curl                                # server end-to-end tests
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    $SUDO apt-get update -q >&2
  fi
  $SUDO apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" >&2
fi

if [ "${1:-}" = "--peers" ]; then
  here=$(cd "$(dirname "$0")" && pwd)
  peers="$here/../../shared/bench/install-peers.sh"
  if [ -f "$peers" ]; then bash "$peers" >&2; else
    $SUDO apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
      python3-sklearn python3-pandas python3-numpy >&2
  fi
fi
exit 0
