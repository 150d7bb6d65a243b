#pragma once
// The MoE layer's parameters as this rank holds them. Logical (global) shapes:
//   gate [D, E]   w1, w3 [E, D, H]   b1, b3 [E, H]   w2 [E, H, D]   b2 [E, D]
// A rank holds the E/ep experts its placement gives its EP index (by default
// [ep_index·E/ep, +E/ep); otherwise the expert params carry a dim0 list) and
// hidden columns [esp_index·H/esp, +H/esp) (or a slice in proportion to
// cfg.esp_weights). gate is replicated; b2 is replicated over ESP.
#include <string>
#include <vector>

#include "comm/process_grid.h"
#include "core/config.h"
#include "core/param.h"
#include "moe/expert_ffn.h"
#include "moe/expert_placement.h"

namespace paramoe {

struct MoeParams {
  Param gate, w1, b1, w3, b3, w2, b2;
  // moe.balance = "bias": [E], added to the routing scores for the top-k choice
  // only; not trained (router_update_bias moves it), replicated. Empty otherwise.
  std::vector<float> balance_bias;
  bool swiglu = false;
  std::vector<Param*> all();
  std::vector<Param*> experts();  // all() but the gate: the tensors a placement moves
  ExpertDims dims() const;
  ExpertWeights weights() const;
  ExpertGrads grads();
};

MoeParams moe_params_make(const MoeConfig& cfg, const ProcessGrid& grid, const std::string& prefix);
// Points the expert params' slabs at the experts `placement` gives EP rank ep_rank
// (values are not moved: MoeLayer::apply_placement does that).
void moe_params_place(MoeParams& p, const ExpertPlacement& placement, int ep_rank);
// nn.Linear-style uniform init, drawn per global element (layout-independent).
void moe_params_init(MoeParams& p, uint64_t seed);

}  // namespace paramoe
