#pragma once
// What the GPU benchmarks of the MoE layer that trains share: a layer shape, its
// config (SwiGLU experts, renormalised top-k, dropless, schedule s1) and the timing
// of one forward + backward step with its GEMM FLOPs, labelled "shape/variant".
#include <string>

#include "core/config.h"
#include "perf/cuda_event_timer.h"

namespace paramoe::perf {

struct LayerShape {
  const char* name;
  int tokens, d, h, experts, k;
};

inline MoeConfig layer_config(const LayerShape& s) {
  MoeConfig cfg;
  cfg.d_model = s.d;
  cfg.d_hidden = s.h;
  cfg.num_experts = s.experts;
  cfg.top_k = s.k;
  cfg.activation = "swiglu";
  cfg.capacity_factor = 0.0;
  cfg.schedule = "s1";
  return cfg;
}

// 3 GEMMs forward and 6 backward, each 2·N·D·H over N = tokens·k routed rows.
template <class State, class Step>
void time_layer_steps(State& state, const LayerShape& s, const std::string& variant, Step&& step) {
  time_gpu_steps(state, 18.0 * s.tokens * s.k * static_cast<double>(s.d) * s.h, step);
  state.SetLabel(std::string(s.name) + "/" + variant);
}

}  // namespace paramoe::perf
