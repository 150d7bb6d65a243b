#!/usr/bin/env bash
# expect_success.sh REGEX CMD...: passes if CMD exits 0 and prints a line matching
# REGEX (extended).
set -u
regex=$1; shift
out=$(timeout 120 "$@" 2>&1); rc=$?
echo "$out"
if [[ $rc -ne 0 ]]; then echo "FAIL: exit $rc"; exit 1; fi
if ! grep -Eq -- "$regex" <<<"$out"; then echo "FAIL: no line matches /$regex/"; exit 1; fi
echo "OK: exit 0 with the expected output"
