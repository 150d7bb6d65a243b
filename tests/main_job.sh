#!/usr/bin/env bash
# main_job.sh CMD...: the README's main job, run from the repository root; skipped
# (exit 77) when setup.sh has not written its data, data/kjv.txt.
cd "$(dirname "$0")/.."
[[ -s data/kjv.txt ]] || { echo "no data/kjv.txt: run ./setup.sh"; exit 77; }
exec "$(dirname "$0")/expect_val_loss_falls.sh" 0.85 "$@"
