#!/usr/bin/env bash
# check_results_catches.sh CHECKER: perf/check_results.py on a small README and CSV
# of known content: backed numbers pass (direct, a run median, a unit change, a
# paired ratio, a ratio within the row); a number the CSV does not back, a missing
# CSV, and a rounding that the CSV does not give each fail, naming table and row.
set -euo pipefail
checker=$1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat > "$work/runs.csv" <<'CSV'
variant,run,ms,bytes
fp32,1,100.0,2000000
bf16,1,80.0,1000000
fp32,2,110.0,2000000
bf16,2,99.0,1000000
fp32,3,120.0,2000000
bf16,3,96.0,1000000
CSV
good='| variant | median ms | MB | bf16/fp32 | speed-up |
|---|---|---|---|---|
| fp32 | 110.0 | 2.00 | – | – |
| bf16 | 96.0 | 1.00 | 0.80 | 1.25 |'
printf '# R\n\n## Runs (`runs.csv`)\n\n%s\n' "$good" > "$work/README.md"
/usr/bin/python3 "$checker" "$work/README.md" || { echo "FAIL: backed numbers were refused"; exit 1; }
expect_failure() {  # name, README text, regex the output must match
  printf '# R\n\n%s\n' "$2" > "$work/README.md"
  if out=$(/usr/bin/python3 "$checker" "$work/README.md" 2>&1); then
    echo "FAIL: $1 passed"; echo "$out"; exit 1
  fi
  grep -qE "$3" <<<"$out" || { echo "FAIL: $1: unexpected message"; echo "$out"; exit 1; }
}
expect_failure "a number not in the CSV" "## Runs (\`runs.csv\`)

| variant | median ms |
|---|---|
| fp32 | 111.0 |" "README 111 \(printed with 1 decimals\)"
expect_failure "a missing CSV" "## Gone (\`gone.csv\`)" "names \`gone.csv\`, which does not exist"
expect_failure "a CSV named in the text only" "## Prose

The rest is in \`elsewhere.csv\`." "names \`elsewhere.csv\`, which does not exist"
expect_failure "a wrong rounding" "## Runs (\`runs.csv\`)

| variant | run ms |
|---|---|
| bf16 | 99.1 |" "README 99.1 \(printed with 1 decimals\)"
echo "check_results_catches: all cases behave"
