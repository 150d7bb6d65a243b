#pragma once
// The MoE layer's parameters as this rank holds them. Logical (global) shapes:
//   gate [D, E]   w1, w3 [E, D, H]   b1, b3 [E, H]   w2 [E, H, D]   b2 [E, D]
// A rank holds the E/ep experts its placement gives its EP index (by default
// [ep_index·E/ep, +E/ep); otherwise the expert params carry a dim0 list) and
// hidden columns [esp_index·H/esp, +H/esp) (or a slice in proportion to
// cfg.esp_weights). gate is replicated; b2 is replicated over ESP.
// With moe.shared_experts = N, the shared FFN of width S = N·H, column/row-parallel
// over MP (Megatron):
//   shared_w1, shared_w3 [D, S]   shared_b1, shared_b3 [S]   shared_w2 [S, D]
// sliced at columns (rows of w2) [mp_index·S/mp, +S/mp); shared_b2 [D] replicated
// (added by MP rank 0 only, so the sum over MP adds it once).
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
  Param shared_w1, shared_b1, shared_w3, shared_b3, shared_w2, shared_b2;
  bool has_shared = false;
  // moe.balance = "bias": [E], added to the routing scores for the top-k choice
  // only; not trained (router_update_bias moves it), replicated. Empty otherwise.
  std::vector<float> balance_bias;
  bool swiglu = false;
  std::vector<Param*> all();      // gate, experts(), shared()
  std::vector<Param*> experts();  // the routed experts': the tensors a placement moves
  std::vector<Param*> shared();   // the shared FFN's (none without shared experts)
  ExpertDims dims() const;
  // The shared FFN as a one-expert FFN of this rank's MP slice (its tensors'
  // live copies: StepBackend::weights(true)).
  ExpertDims shared_dims() const;
};

MoeParams moe_params_make(const MoeConfig& cfg, const ProcessGrid& grid, const std::string& prefix);
// Points the expert params' slabs at the experts `placement` gives EP rank ep_rank
// (values are not moved: MoeLayer::apply_placement does that).
void moe_params_place(MoeParams& p, const ExpertPlacement& placement, int ep_rank);
// nn.Linear-style uniform init, drawn per global element (layout-independent).
void moe_params_init(MoeParams& p, uint64_t seed);

}  // namespace paramoe
