#pragma once
// What a training checkpoint holds besides its metadata: every parameter and its
// two AdamW moments, as slabs under "params/", "optimizer/adam_m/" and
// "optimizer/adam_v/". Saving and resuming use the same list, so they cannot drift.
#include <vector>

#include "ckpt/checkpoint_file.h"
#include "ckpt/tensor_slab.h"
#include "core/config.h"
#include "core/param.h"
#include "moe/moe_layer.h"
#include "optim/adamw.h"

namespace paramoe {

std::vector<TensorSlab> train_state_slabs(const std::vector<Param*>& params, AdamW& opt);

// moe.balance = "bias": each MoE layer's selection bias, replicated, as
// "balance/<layer>/bias" ([E]); none otherwise.
std::vector<TensorSlab> balance_bias_slabs(const std::vector<MoeLayer*>& layers);

// A checkpoint of another model of the same shapes would load without an error:
// throws a collective Error naming `path` unless its stored config has the
// config's model.type and, for the language models, tokens of the same kind
// (byte-level text and a tokenizer's .bin shard can share a vocabulary size, but
// not the meaning of the ids the embedding was trained on).
void checkpoint_require_same_model(const CheckpointMeta& meta, const std::string& path,
                                   const Config& cfg);
// "a .bin token shard" or "byte-level text", for token_format_of's answer.
std::string token_format_describe(const std::string& format);

}  // namespace paramoe
