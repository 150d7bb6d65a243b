#!/usr/bin/env bash
# faults.sh SCENARIO: what a broken checkpoint, a dying rank or a bad directory does.
# Every failure must be one clear message and a non-zero exit on every rank, with
# no hang, and the earlier checkpoint must stay intact and loadable.
source "$(dirname "$0")/common.sh"
scenario=$1
np=4
base=(--set train.steps=20 --set checkpoint.every=5)

# A run that leaves ck/ with checkpoints at steps 5 and 10.
make_checkpoints() {
  train $np "${base[@]}" --set checkpoint.dir=ck --set checkpoint.exit_after=10 > make.log 2>&1 ||
    { cat make.log; fail "could not make the checkpoints"; }
}

# The checkpoint verifies (every checksum) and resumes.
expect_intact() {
  local file=$1
  "$PARAMOE" ckpt inspect "$file" > inspect.log 2>&1 || { cat inspect.log; fail "$file is damaged"; }
  grep -q MISMATCH inspect.log && fail "$file has a checksum mismatch"
  ok "$file is intact: every checksum verifies"
}

# h5py edits: "offset DATASET" prints where its data starts; "delete DATASET".
h5edit() {
  "$PYTHON" - "$@" <<'PY'
import sys, h5py
op, path, name = sys.argv[1:4]
with h5py.File(path, "r+" if op == "delete" else "r") as f:
    if op == "offset":
        print(f[name].id.get_offset())
    else:
        del f[name]
PY
}

case $scenario in
kill_mid_write)
  # Rank 1 dies (SIGKILL) after writing 3 datasets of the step-15 checkpoint.
  make_checkpoints
  set +e
  PARAMOE_FAULT_CKPT_KILL=1:3 train $np "${base[@]}" --set checkpoint.dir=ck --resume \
    > killed.log 2>&1
  rc=$?
  set -e
  [[ $rc -ne 0 && $rc -ne 124 ]] || { cat killed.log; fail "the killed run exited $rc"; }
  [[ $(latest_of ck) == ckpt-00000010.h5 ]] || fail "latest moved to $(latest_of ck)"
  [[ ! -e ck/ckpt-00000015.h5 ]] || fail "a partial ckpt-00000015.h5 was published"
  expect_intact ck/ckpt-00000010.h5
  # The next run resumes from step 10, ignores the partial .tmp and finishes;
  # it ends bit-identical to a run that was never interrupted.
  train $np "${base[@]}" --set checkpoint.dir=ck --resume > resumed.log 2>&1 ||
    { cat resumed.log; fail "resume after the kill"; }
  grep -q "resume: ck/ckpt-00000010.h5 at step 10" resumed.log || fail "did not resume at 10"
  train $np "${base[@]}" --set checkpoint.dir=straight > straight.log 2>&1 || fail "straight run"
  h5diff -q straight/ckpt-00000020.h5 ck/ckpt-00000020.h5 /params /params ||
    fail "parameters differ from an uninterrupted run"
  ok "resumed after the kill and finished bit-identical to an uninterrupted run"
  ;;
flipped_bytes)
  make_checkpoints
  f=ck/ckpt-00000010.h5
  off=$(h5edit offset "$f" params/layers/0/moe/w1)
  "$PYTHON" -c "
import sys
with open('$f', 'r+b') as fh:
    fh.seek($off + 1000); b = fh.read(1); fh.seek($off + 1000); fh.write(bytes([b[0] ^ 0x40]))"
  set +e; train $np "${base[@]}" --resume "$f" > resume.log 2>&1; rc=$?; set -e
  expect_error resume.log "ckpt-00000010.h5: dataset /params/layers/0/moe/w1: checksum mismatch" $rc
  set +e; "$PARAMOE" ckpt inspect "$f" > inspect.log 2>&1; rc=$?; set -e
  expect_error inspect.log "1 dataset\(s\) fail their checksum" $rc
  grep -q "/params/layers/0/moe/w1 .*MISMATCH" inspect.log || fail "inspect did not flag w1"
  expect_intact ck/ckpt-00000005.h5
  ok "flipped byte caught, dataset named"
  ;;
truncated)
  make_checkpoints
  f=ck/ckpt-00000010.h5
  truncate -s $(($(stat -c %s "$f") / 2)) "$f"
  set +e; train $np "${base[@]}" --resume "$f" > resume.log 2>&1; rc=$?; set -e
  expect_error resume.log "checkpoint ck/ckpt-00000010.h5: cannot open \(truncated or corrupt\?\)" $rc
  ok "truncated file named"
  ;;
missing_dataset)
  make_checkpoints
  h5edit delete ck/ckpt-00000010.h5 optimizer/adam_v/layers/1/moe/w2
  set +e; train $np "${base[@]}" --set checkpoint.dir=ck --resume > resume.log 2>&1; rc=$?; set -e
  expect_error resume.log "ckpt-00000010.h5: dataset /optimizer/adam_v/layers/1/moe/w2 is missing" $rc
  ok "missing dataset named"
  ;;
shape_mismatch)
  make_checkpoints
  set +e
  train $np "${base[@]}" --set checkpoint.dir=ck --set moe.d_hidden=256 --resume > resume.log 2>&1
  rc=$?; set -e
  expect_error resume.log \
    "dataset /params/layers/0/moe/w1: shape \[8, 64, 128\] in the file, but the config gives \[8, 64, 256\]" $rc
  set +e
  train $np "${base[@]}" --set checkpoint.dir=ck --set train.layers=1 --resume > layers.log 2>&1
  rc=$?; set -e
  expect_error layers.log "dataset /optimizer/adam_m/layers/1/ln/beta is not part of the model" $rc
  ok "shape and depth mismatches named"
  ;;
unwritable_dir)
  set +e
  train $np "${base[@]}" --set checkpoint.dir=/dev/null/ck > run.log 2>&1; rc=$?
  set -e
  expect_error run.log "checkpoint directory /dev/null/ck: cannot be created" $rc
  ok "unwritable directory named"
  ;;
disk_full | disk_full_noverify)
  # A 5 MB tmpfs holds one 3.2 MB checkpoint but not two: the second write hits
  # ENOSPC part-way. Needs mount privileges (root in a container usually has them).
  # Without the read-back (checkpoint.verify = false) the writer's own check of
  # the file's allocated bytes must catch it: MPI-IO may report success.
  verify=(); [[ $scenario == disk_full_noverify ]] && verify=(--set checkpoint.verify=false)
  mkdir full
  if ! mount -t tmpfs -o size=5m tmpfs full 2>/dev/null; then
    echo "SKIP: cannot mount a small tmpfs here (needs privileges) to fill a disk"; exit 77
  fi
  cleanup_hooks+=("umount '$WORK/full'")
  set +e
  train $np "${base[@]}" "${verify[@]}" --set checkpoint.dir=full/ck > run.log 2>&1; rc=$?
  set -e
  expect_error run.log "No space left on device|write failed" $rc
  [[ ! -e full/ck/ckpt-00000010.h5 ]] || fail "a cut-short ckpt-00000010.h5 was published"
  grep -q "the previous checkpoint full/ck/ckpt-00000005.h5 is intact" run.log ||
    { cat run.log; fail "the message does not say which checkpoint survived"; }
  [[ $(latest_of full/ck) == ckpt-00000005.h5 ]] || fail "latest moved"
  ls full/ck/*.tmp 2>/dev/null && fail "the partial file was left behind"
  expect_intact full/ck/ckpt-00000005.h5
  ok "disk full: clear error, previous checkpoint kept"
  ;;
used_dir)
  # A fresh run (no --resume) into a directory that holds an earlier run's
  # checkpoints refuses, naming them, and leaves every file as it was; with
  # checkpoint.overwrite = true it runs.
  make_checkpoints
  before=$(sha256sum ck/* | sort)
  set +e; train $np "${base[@]}" --set checkpoint.dir=ck > fresh.log 2>&1; rc=$?; set -e
  expect_error fresh.log "checkpoint.dir = ck already holds 2 checkpoint\(s\) \(ckpt-00000005.h5 \.\.\. ckpt-00000010.h5\).*--resume.*checkpoint.overwrite = true" $rc
  [[ $(sha256sum ck/* | sort) == "$before" ]] || fail "the earlier run's files changed"
  train $np "${base[@]}" --set checkpoint.dir=ck --set checkpoint.overwrite=true > over.log 2>&1 ||
    { cat over.log; fail "checkpoint.overwrite = true did not run"; }
  [[ $(latest_of ck) == ckpt-00000020.h5 ]] || fail "latest is $(latest_of ck) after the overwrite"
  ok "a used directory is refused (earlier checkpoints' sha256 unchanged) unless overwrite"
  ;;
latest_missing)
  # --resume with `latest` deleted or emptied resumes from the newest checkpoint
  # that verifies, and says so; a corrupt newest one is passed over.
  make_checkpoints
  for broken in deleted empty corrupt_newest; do
    cp -r ck "ck_$broken"
    if [[ $broken == deleted ]]; then rm "ck_$broken/latest"; else : > "ck_$broken/latest"; fi
    want=ckpt-00000010.h5
    if [[ $broken == corrupt_newest ]]; then
      f=ck_$broken/ckpt-00000010.h5
      off=$(h5edit offset "$f" params/layers/0/moe/w1)
      "$PYTHON" -c "
with open('$f', 'r+b') as fh:
    fh.seek($off + 1000); b = fh.read(1); fh.seek($off + 1000); fh.write(bytes([b[0] ^ 0x40]))"
      want=ckpt-00000005.h5
    fi
    train $np "${base[@]}" --set checkpoint.dir="ck_$broken" --resume > "resume_$broken.log" 2>&1 ||
      { cat "resume_$broken.log"; fail "resume with latest $broken"; }
    grep -q "using the newest checkpoint that verifies, ck_$broken/$want" "resume_$broken.log" ||
      { cat "resume_$broken.log"; fail "latest $broken: did not say it resumed from $want"; }
    grep -q "resume: ck_$broken/$want at step" "resume_$broken.log" ||
      { cat "resume_$broken.log"; fail "latest $broken: did not resume from $want"; }
  done
  ok "a missing, empty or stale latest falls back to the newest checkpoint that verifies"
  ;;
wrong_model)
  # faults.sh wrong_model GPT_CONFIG BERT_CONFIG CORPUS: a GPT checkpoint with BERT's
  # shapes (vocabulary 258) refused by a BERT run, naming both model types; and a
  # checkpoint past train.steps refused. The checkpoint's files stay as they were.
  gpt=$2 bert=$3 corpus=$4
  lm=(--set data.train="$corpus" --set data.val_fraction=0.1 --set train.val_every=0
      --set train.tokens_per_step=512 --set model.vocab_size=258 --set parallel.mp=1
      --set parallel.esp=1)
  timeout 120 $MPIEXEC -np 2 "$PARAMOE" train "$gpt" "${lm[@]}" --set train.steps=4 \
    --set checkpoint.dir=g > gpt.log 2>&1 || { cat gpt.log; fail "the GPT run"; }
  before=$(sha256sum g/* | sort)
  set +e
  timeout 120 $MPIEXEC -np 2 "$PARAMOE" train "$bert" "${lm[@]}" --set train.steps=8 \
    --set checkpoint.dir=g --resume > bert.log 2>&1
  rc=$?; set -e
  expect_error bert.log "g/ckpt-00000004.h5: written by a model.type = \"gpt\" run, but the config has model.type = \"bert\"" $rc
  set +e
  timeout 120 $MPIEXEC -np 2 "$PARAMOE" train "$gpt" "${lm[@]}" --set train.steps=2 \
    --set checkpoint.dir=g --resume > steps.log 2>&1
  rc=$?; set -e
  expect_error steps.log "g/ckpt-00000004.h5: step 4 \(tokens seen 2048\): expected a step in \[0, train.steps = 2\]" $rc
  # The same corpus as a .bin shard: the same vocabulary size, other token ids.
  "$PARAMOE" data encode "$corpus" corpus.bin > encode.log 2>&1 || { cat encode.log; fail "encode"; }
  set +e
  timeout 120 $MPIEXEC -np 2 "$PARAMOE" train "$gpt" "${lm[@]}" --set train.steps=8 \
    --set data.train=corpus.bin --set checkpoint.dir=g --resume > tokens.log 2>&1
  rc=$?; set -e
  expect_error tokens.log "g/ckpt-00000004.h5: trained on byte-level text \(.*\), but data.train = corpus.bin is a .bin token shard; expected data tokenized the same way" $rc
  [[ $(sha256sum g/* | sort) == "$before" ]] || fail "the checkpoint's files changed"
  ok "another model type, other token data, and a step past train.steps, refused with the checkpoint untouched"
  ;;
root_attrs)
  # The root attributes are covered by meta_checksum: a step edited to 10^12 is
  # refused as altered; with the checksum fixed up too, the step bound refuses it.
  make_checkpoints
  "$PYTHON" - ck/ckpt-00000010.h5 <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs["step"] = np.int64(10**12)
PY
  before=$(sha256sum ck/* | sort)
  set +e
  train $np "${base[@]}" --set checkpoint.dir=ck --resume > edited.log 2>&1
  rc=$?; set -e
  expect_error edited.log "ckpt-00000010.h5: the root attributes \(step, tokens_seen, rng_\*, config, layout\) do not match meta_checksum \(stored [0-9a-f]{16}, computed [0-9a-f]{16}\)" $rc
  "$PYTHON" - ck/ckpt-00000010.h5 "$HERE" <<'PY'
import sys, h5py, numpy as np
sys.path.insert(0, sys.argv[2])
from check_with_pytorch import meta_checksum
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs["meta_checksum"] = np.uint64(meta_checksum(f))
PY
  before=$(sha256sum ck/* | sort)
  set +e
  train $np "${base[@]}" --set checkpoint.dir=ck --resume > fixed.log 2>&1
  rc=$?; set -e
  expect_error fixed.log "ckpt-00000010.h5: step 1000000000000 \(tokens seen [0-9]+\): expected a step in \[0, train.steps = 20\]" $rc
  [[ $(sha256sum ck/* | sort) == "$before" ]] || fail "the checkpoint files changed"
  expect_intact ck/ckpt-00000005.h5
  # A version 1 file (no meta_checksum) still loads.
  cp ck/ckpt-00000005.h5 v1.h5
  "$PYTHON" - v1.h5 <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs["format_version"] = np.int64(1)
    del f.attrs["meta_checksum"]
PY
  expect_intact v1.h5
  ok "an edited root attribute is caught by meta_checksum, an impossible step by its bound; files untouched; a version 1 file still loads"
  ;;
*) fail "unknown scenario $scenario" ;;
esac
