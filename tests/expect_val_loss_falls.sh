#!/usr/bin/env bash
# expect_val_loss_falls.sh RATIO CMD...: runs a training job and passes if it exits 0,
# prints at least two "val loss" lines, and the last is below RATIO × the first.
# With VAL_ACCURACY_ABOVE=P in the environment (a classifier), the last "val
# accuracy" must also be above P percent and above the first.
set -u
ratio=$1; shift
out=$(timeout 170 "$@" 2>&1); rc=$?
echo "$out"
[[ $rc -eq 0 ]] || { echo "FAIL: exit $rc"; exit 1; }
vals=$(grep -o "val loss [0-9.e+-]*" <<<"$out" | awk '{print $3}')
n=$(wc -l <<<"$vals")
[[ $n -ge 2 ]] || { echo "FAIL: only $n val loss lines"; exit 1; }
first=$(head -1 <<<"$vals"); last=$(tail -1 <<<"$vals")
if awk -v a="$first" -v b="$last" -v r="$ratio" 'BEGIN{exit !(b < r*a)}'; then
  echo "OK: val loss $first -> $last (below $ratio x first)"
else
  echo "FAIL: val loss $first -> $last, expected below $ratio x first"; exit 1
fi
[[ -z "${VAL_ACCURACY_ABOVE:-}" ]] && exit 0
accs=$(grep -o "val accuracy [0-9.]*" <<<"$out" | awk '{print $3}')
a0=$(head -1 <<<"$accs"); a1=$(tail -1 <<<"$accs")
if [[ -n "$a1" ]] && awk -v a="$a0" -v b="$a1" -v p="$VAL_ACCURACY_ABOVE" 'BEGIN{exit !(b > p && b > a)}'; then
  echo "OK: val accuracy $a0% -> $a1% (above $VAL_ACCURACY_ABOVE%)"
else
  echo "FAIL: val accuracy '$a0'% -> '$a1'%, expected a rise to above $VAL_ACCURACY_ABOVE%"; exit 1
fi
