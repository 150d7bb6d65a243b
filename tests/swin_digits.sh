#!/usr/bin/env bash
# swin_digits.sh PARAMOE OUTDIR: makes the digits image set for the swin tests
# (inputs/data/make_digits.py, from Debian's python3-sklearn) and checks that
# `paramoe data images` turns its .npz files into the same bytes as the script's
# own shard writer (two independent writers of the format).
set -euo pipefail
bin=$1 out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
/usr/bin/python3 "$root/inputs/data/make_digits.py" "$out"
for split in train val; do
  "$bin" data images "$out/$split.npz" "$out/$split.cli.imgs"
  cmp "$out/$split.imgs" "$out/$split.cli.imgs" ||
    { echo "FAIL: paramoe data images wrote other bytes than make_digits.py for $split"; exit 1; }
done
echo "OK: paramoe data images matches make_digits.py's shards"
