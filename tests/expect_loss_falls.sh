#!/usr/bin/env bash
# expect_loss_falls.sh CMD...: runs a training job and passes if it exits 0 and the
# mean loss of the last 5 logged steps is below 60% of the first 5.
set -u
out=$(timeout 100 "$@" 2>&1); rc=$?
echo "$out"
[[ $rc -eq 0 ]] || { echo "FAIL: exit $rc"; exit 1; }
grep -o "loss [0-9.e+-]*" <<<"$out" | awk '{print $2}' > /tmp/paramoe_losses.$$
n=$(wc -l < /tmp/paramoe_losses.$$)
[[ $n -ge 10 ]] || { echo "FAIL: only $n loss lines"; exit 1; }
awk -v n="$n" 'NR<=5{a+=$1} NR>n-5{b+=$1} END{printf "first5 %.5f last5 %.5f ratio %.3f\n",a/5,b/5,b/a; exit !(b < 0.6*a)}' /tmp/paramoe_losses.$$
rc=$?; rm -f /tmp/paramoe_losses.$$
[[ $rc -eq 0 ]] && echo "OK: loss fell" || echo "FAIL: loss did not fall enough"
exit $rc
