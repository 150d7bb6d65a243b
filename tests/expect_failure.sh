#!/usr/bin/env bash
# expect_failure.sh REGEX CMD...: passes if CMD exits non-zero (and not by timeout),
# prints a line matching REGEX, and shows no crash or stack trace.
set -u
regex=$1; shift
out=$(timeout 60 "$@" 2>&1); rc=$?
echo "$out"
if [[ $rc -eq 0 ]]; then echo "FAIL: expected a non-zero exit"; exit 1; fi
if [[ $rc -eq 124 ]]; then echo "FAIL: timed out (a rank hung)"; exit 1; fi
if ! grep -Eq -- "$regex" <<<"$out"; then echo "FAIL: no line matches /$regex/"; exit 1; fi
if grep -Eiq "segmentation|backtrace|core dumped|terminate called|MPI_ABORT" <<<"$out"; then
  echo "FAIL: crash or abort instead of a clean error"; exit 1
fi
echo "OK: exit $rc with the expected message"
