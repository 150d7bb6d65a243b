#include "moe/moe_params.h"

#include <cmath>

#include "core/row_split.h"

namespace paramoe {

std::vector<Param*> MoeParams::all() {
  std::vector<Param*> v = {&gate};
  for (Param* p : experts()) v.push_back(p);
  for (Param* p : shared()) v.push_back(p);
  return v;
}

std::vector<Param*> MoeParams::experts() {
  if (swiglu) return {&w1, &b1, &w3, &b3, &w2, &b2};
  return {&w1, &b1, &w2, &b2};
}

std::vector<Param*> MoeParams::shared() {
  if (!has_shared) return {};
  if (swiglu) return {&shared_w1, &shared_b1, &shared_w3, &shared_b3, &shared_w2, &shared_b2};
  return {&shared_w1, &shared_b1, &shared_w2, &shared_b2};
}

ExpertDims MoeParams::shared_dims() const {
  return ExpertDims{1, shared_w1.shape[0], shared_w1.shape[1], swiglu};
}

ExpertDims MoeParams::dims() const {
  return ExpertDims{w1.shape[0], w1.shape[1], w1.shape[2], swiglu};
}

MoeParams moe_params_make(const MoeConfig& cfg, const ProcessGrid& grid,
                          const std::string& prefix) {
  const int64_t D = cfg.d_model, E = cfg.num_experts, H = cfg.d_hidden;
  const Layout& l = grid.layout();
  const int64_t El = E / l.ep, e0 = grid.index().ep * El;
  int64_t h0 = 0, Hs = 0;  // this ESP rank's hidden slice
  split_rows_by(H, l.esp, cfg.esp_weights, grid.index().esp, h0, Hs);
  MoeParams p;
  p.swiglu = cfg.swiglu();
  p.gate = param_make(prefix + "gate", {D, E}, {0, 0}, {D, E}, GradSync::Dp, true);
  p.w1 = param_make(prefix + "w1", {E, D, H}, {e0, 0, h0}, {El, D, Hs}, GradSync::Edp, true);
  p.b1 = param_make(prefix + "b1", {E, H}, {e0, h0}, {El, Hs}, GradSync::Edp, false);
  if (p.swiglu) {
    p.w3 = param_make(prefix + "w3", {E, D, H}, {e0, 0, h0}, {El, D, Hs}, GradSync::Edp, true);
    p.b3 = param_make(prefix + "b3", {E, H}, {e0, h0}, {El, Hs}, GradSync::Edp, false);
  }
  p.w2 = param_make(prefix + "w2", {E, H, D}, {e0, h0, 0}, {El, Hs, D}, GradSync::Edp, true);
  p.b2 = param_make(prefix + "b2", {E, D}, {e0, 0}, {El, D}, GradSync::Edp, false);
  if (cfg.balance == "bias") p.balance_bias.assign(E, 0.0f);
  if (cfg.shared_experts > 0) {
    // Summed over dp like the gate: every MP rank sees all of its shard's tokens.
    const int64_t S = int64_t{cfg.shared_experts} * H, Sl = S / l.mp, s0 = grid.index().mp * Sl;
    p.has_shared = true;
    p.shared_w1 = param_make(prefix + "shared_w1", {D, S}, {0, s0}, {D, Sl}, GradSync::Dp, true);
    p.shared_b1 = param_make(prefix + "shared_b1", {S}, {s0}, {Sl}, GradSync::Dp, false);
    if (p.swiglu) {
      p.shared_w3 = param_make(prefix + "shared_w3", {D, S}, {0, s0}, {D, Sl}, GradSync::Dp, true);
      p.shared_b3 = param_make(prefix + "shared_b3", {S}, {s0}, {Sl}, GradSync::Dp, false);
    }
    p.shared_w2 = param_make(prefix + "shared_w2", {S, D}, {s0, 0}, {Sl, D}, GradSync::Dp, true);
    p.shared_b2 = param_make(prefix + "shared_b2", {D}, {0}, {D}, GradSync::Dp, false);
  }
  return p;
}

void moe_params_place(MoeParams& p, const ExpertPlacement& placement, int ep_rank) {
  const std::vector<int64_t> mine = placement.experts_of(ep_rank);
  for (Param* q : p.experts()) {
    if (placement.contiguous()) {
      q->dim0.clear();
      q->offset[0] = mine.front();
    } else {
      param_set_dim0(*q, mine);
    }
  }
}

void moe_params_init(MoeParams& p, uint64_t seed) {
  const float in_bound = 1.0f / std::sqrt(static_cast<float>(p.w1.global_shape[1]));
  const float hid_bound = 1.0f / std::sqrt(static_cast<float>(p.w1.global_shape[2]));
  param_init_uniform(p.gate, in_bound, seed);
  param_init_uniform(p.w1, in_bound, seed);
  param_init_uniform(p.b1, in_bound, seed);
  if (p.swiglu) {
    param_init_uniform(p.w3, in_bound, seed);
    param_init_uniform(p.b3, in_bound, seed);
  }
  param_init_uniform(p.w2, hid_bound, seed);
  param_init_uniform(p.b2, hid_bound, seed);
  if (!p.has_shared) return;
  const float shared_bound = 1.0f / std::sqrt(static_cast<float>(p.shared_w2.global_shape[0]));
  param_init_uniform(p.shared_w1, in_bound, seed);
  param_init_uniform(p.shared_b1, in_bound, seed);
  if (p.swiglu) {
    param_init_uniform(p.shared_w3, in_bound, seed);
    param_init_uniform(p.shared_b3, in_bound, seed);
  }
  param_init_uniform(p.shared_w2, shared_bound, seed);
  param_init_uniform(p.shared_b2, shared_bound, seed);
}

}  // namespace paramoe
