#!/usr/bin/env bash
# greedy_decode.sh: paramoe generate on a GPT-MoE checkpoint trained here.
#   1. Greedy decoding gives the same tokens at np 4 as at np 1, and they are the
#      argmax of an independent PyTorch reference (generate_with_pytorch.py) that
#      reads the checkpoint with h5py, with the logits paramoe reports.
#   2. Sampling (temperature, top-k, seed) gives the same tokens under every layout
#      (np 1, 2, 4, 8; mp, ep and esp; s1, s2, replicated, data-centric, shadowed,
#      ordered all-to-all) as at np 1, and their logits are the reference's. A model
#      trained this briefly repeats one token greedily; sampled text varies, so
#      it checks the KV cache and the layouts over varied contexts.
#   3. Bad requests fail cleanly on every rank: a prompt token outside the
#      vocabulary, --tokens <= 0, more tokens than model.seq_len, no checkpoint,
#      a checkpoint of another model type, a BERT config.
# CTest sets PARAMOE, MPIEXEC, CONFIG (the tiny GPT), EXTRA_SET (its corpus) and PYTHON.
source "$(dirname "$0")/../ckpt/common.sh"
GEN_DIR=$(cd "$(dirname "$0")" && pwd)
PROMPT="And the LORD said unto"
train 4 --set train.steps=40 --set checkpoint.dir=ck --set checkpoint.every=40 \
  > train.log 2>&1 || { cat train.log; fail "training"; }

# generate NP LOG [options...]: paramoe generate on ck's latest checkpoint.
generate() {
  local np=$1 log=$2; shift 2
  # shellcheck disable=SC2086  # EXTRA_SET is a list of words
  timeout 60 $MPIEXEC -np "$np" "$PARAMOE" generate "$CONFIG" ${EXTRA_SET:-} \
    --set checkpoint.dir=ck "$@" > "$log" 2>&1
}
# ids NP [options...]: the generated ids of a 24-token run (greedy unless the
# options sample); gen.log keeps its log.
ids() {
  local np=$1; shift
  generate "$np" gen.log --prompt "$PROMPT" --tokens 24 "$@" || { cat gen.log; fail "generate -np $np $*"; }
  sed -n 's/.*generated ids: //p' gen.log
}
logits() { sed -n 's/.*generated logits: //p' gen.log; }

one=(--set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1)
prompt_ids=$("$PYTHON" -c 'import sys; print(" ".join(str(b) for b in sys.argv[1].encode()))' "$PROMPT")
greedy=$(ids 1 "${one[@]}")
[[ $(wc -w <<<"$greedy") -eq 24 ]] || fail "expected 24 ids at np 1, got '$greedy'"
"$PYTHON" "$GEN_DIR/generate_with_pytorch.py" ck/ckpt-00000040.h5 "$prompt_ids" "$greedy" \
  "$(logits)" --greedy || fail "the PyTorch reference disagrees (greedy)"
[[ $(ids 4) == "$greedy" ]] || fail "greedy ids at np 4 differ from np 1's '$greedy'"
ok "greedy ids at np 1 and 4: $greedy"

sample=(--temperature 0.9 --top-k 40 --seed 7)
want=$(ids 1 "${one[@]}" "${sample[@]}")
"$PYTHON" "$GEN_DIR/generate_with_pytorch.py" ck/ckpt-00000040.h5 "$prompt_ids" "$want" \
  "$(logits)" || fail "the PyTorch reference disagrees (sampled)"
[[ $want != "$greedy" ]] || fail "sampling at temperature 0.9 gave the greedy tokens"
layouts=(
  "2 --set parallel.ep=1 --set parallel.esp=1"
  "4"
  "4 --set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1"
  "4 --set moe.schedule=s2"
  "4 --set moe.schedule=replicated"
  "4 --set moe.expert_mode=data-centric"
  "4 --set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1 --set moe.shadow=top:2"
  "4 --set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1 --set moe.a2a=ordered"
  "8 --set parallel.ep=4"
)
for l in "${layouts[@]}"; do
  read -r -a args <<<"$l"
  got=$(ids "${args[@]}" "${sample[@]}")
  [[ $got == "$want" ]] || fail "np ${l}: ids '$got' differ from np 1's '$want'"
done
ok "sampled ids at ${#layouts[@]} layouts equal np 1's: $want"

rc=0; generate 4 bad.log --prompt-ids 65,300 --tokens 4 || rc=$?
expect_error bad.log "prompt token 300 is outside the vocabulary: expected \[0, model.vocab_size = 256\)" $rc
rc=0; generate 4 bad.log --prompt "$PROMPT" --tokens 0 || rc=$?
expect_error bad.log "--tokens 0: expected at least 1 token to generate" $rc
rc=0; generate 4 bad.log --prompt "$PROMPT" --tokens 60 || rc=$?
expect_error bad.log "--tokens 60: the prompt's 22 tokens \+ 60 exceed model.seq_len = 64" $rc
rc=0; generate 4 bad.log --prompt "$PROMPT" --resume nothere || rc=$?
expect_error bad.log "nothere" $rc
rc=0; generate 2 bad.log "${one[@]}" --prompt "$PROMPT" --set model.type=bert \
  --set model.pad_token=0 --set model.mask_token=1 || rc=$?
expect_error bad.log "model.type = \"bert\": generation needs a causal language model, expected \"gpt\"" $rc
ok "bad requests fail cleanly"
