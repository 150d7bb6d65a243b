#pragma once
// The MoE layer's parameters as this rank holds them. Logical (global) shapes:
//   gate [D, E]   w1, w3 [E, D, H]   b1, b3 [E, H]   w2 [E, H, D]   b2 [E, D]
// A rank holds experts [ep_index·E/ep, +E/ep) and hidden columns
// [esp_index·H/esp, +H/esp). gate is replicated; b2 is replicated over ESP.
#include <string>
#include <vector>

#include "comm/process_grid.h"
#include "core/config.h"
#include "core/param.h"
#include "moe/expert_ffn.h"

namespace paramoe {

struct MoeParams {
  Param gate, w1, b1, w3, b3, w2, b2;
  bool swiglu = false;
  std::vector<Param*> all();
  ExpertDims dims() const;
  ExpertWeights weights() const;
  ExpertGrads grads();
};

MoeParams moe_params_make(const MoeConfig& cfg, const ProcessGrid& grid, const std::string& prefix);
// nn.Linear-style uniform init, drawn per global element (layout-independent).
void moe_params_init(MoeParams& p, uint64_t seed);

}  // namespace paramoe
