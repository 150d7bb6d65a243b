#pragma once
// What a training checkpoint holds besides its metadata: every parameter and its
// two AdamW moments, as slabs under "params/", "optimizer/adam_m/" and
// "optimizer/adam_v/". Saving and resuming use the same list, so they cannot drift.
#include <vector>

#include "ckpt/tensor_slab.h"
#include "core/param.h"
#include "moe/moe_layer.h"
#include "optim/adamw.h"

namespace paramoe {

std::vector<TensorSlab> train_state_slabs(const std::vector<Param*>& params, AdamW& opt);

// moe.balance = "bias": each MoE layer's selection bias, replicated, as
// "balance/<layer>/bias" ([E]); none otherwise.
std::vector<TensorSlab> balance_bias_slabs(const std::vector<MoeLayer*>& layers);

}  // namespace paramoe
