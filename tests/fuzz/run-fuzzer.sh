#!/bin/sh
# Runs a libFuzzer binary over a fresh copy of a seed corpus, so the
# committed corpus is never modified by a test run. Inputs that crash are
# left in WORKDIR/artifacts.
#   run-fuzzer.sh FUZZER CORPUS WORKDIR [libFuzzer options…]
set -u
fuzzer=$1 corpus=$2 work=$3
shift 3
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts" || exit 1
cp "$corpus"/* "$work/corpus/" || exit 1
"$fuzzer" -artifact_prefix="$work/artifacts/" "$@" "$work/corpus"
status=$?
# 77 means "skipped" to meson; a fuzzer never skips.
if [ "$status" = 77 ]; then status=1; fi
if [ "$status" != 0 ]; then
  echo "fuzzer failed (status $status); crashing inputs:" >&2
  ls -l "$work/artifacts" >&2
fi
exit "$status"
