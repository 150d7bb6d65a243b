#pragma once
// Load-aware expert placement during training ([placement] in the config): every
// placement.every steps, plan each MoE layer's placement from its routers' counts
// since the last plan and move the experts (weights and AdamW moments) when the
// plan is predicted to be faster by placement.min_gain. Collective over the world.
#include "moe/moe_layer.h"
#include "optim/adamw.h"
#include "train/run_context.h"

namespace paramoe {

// Checks [placement] against the process grid (device_speeds: one per rank).
// Collective error on a mismatch.
void rebalance_validate(const RunContext& rc);

// Returns true when any layer's experts moved (the checkpoint slabs must then be
// rebuilt, since their dim0 lists changed). `step` is the number of steps done.
bool rebalance_experts(const std::vector<MoeLayer*>& layers, AdamW& opt, const RunContext& rc,
                       int step);

}  // namespace paramoe
