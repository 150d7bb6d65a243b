#pragma once
// Hot-expert shadowing (FasterMoE, moe.shadow): when one expert draws far more
// rows than the others, the rank holding it computes most of the layer while its
// EP peers wait. Shadowing broadcasts that expert's weights (this rank's ESP slice)
// to every rank of the EP group for one step; each rank then runs the expert on its
// own rows, which no longer cross the all-to-all, and the weight gradients are
// reduced back to the owner. The choice is made each step from the global
// assignment shares (the same on every rank after the loss statistics' sum), so
// every rank picks the same experts without a collective of its own.
//
// In the dispatch plan a shadowed expert becomes an extra local expert of every
// rank, fed by that rank alone: each rank's slots are its E/ep own experts then the
// |S| shadowed ones (shadow_slots), and everything after the counts exchange (the
// ESP all-gather, the permutes, the return trip) is unchanged.
#include <cstdint>
#include <string>
#include <vector>

#include "core/shadow_mode.h"
#include "moe/expert_placement.h"

namespace paramoe {

// What the choice weighs, per step and per rank.
struct ShadowProblem {
  std::vector<float> share;  // [E] each expert's share of all top-k assignments
  double rows_per_rank = 0;  // assignments each rank routes (its tokens · k)
  int ep = 1;
  // Rows the experts of an EP index read per row routed to them: esp after the
  // ESP all-gather (each ESP peer then runs its H/esp slice), 1 in `replicated`.
  int esp_rows = 1;
  int esp = 1;
  int64_t d_model = 0, d_hidden = 0;  // the full hidden width
  bool swiglu = false;
  std::vector<int> owner;  // [E] the EP rank holding each expert
};

// The rates the choice prices with (moe.shadow = "auto"; plan.cluster).
struct ShadowCosts {
  double flops_per_s = 0;       // one rank's sustained GEMM rate
  double link_bytes_per_s = 0;  // the link the EP group crosses, per rank
  double latency_s = 0;         // per message on it
};

// Shares of the assignments (share [E], owner [E] over `ep` ranks): the busiest
// EP rank's own unshadowed experts', and the shadowed experts' together.
struct ShadowLoad {
  double busiest = 0, shadowed = 0;
};
ShadowLoad shadow_load(const std::vector<float>& share, const std::vector<int>& owner, int ep,
                       const std::vector<int>& shadowed);

// The model's seconds for one forward+backward with experts `shadowed`: the
// busiest EP rank's expert GEMMs, the all-to-alls at the busiest receiver (four:
// dispatch and return, forward and backward), and the shadowed weights' broadcast
// and their gradients' reduction.
double shadow_step_seconds(const ShadowProblem& p, const ShadowCosts& c,
                           const std::vector<int>& shadowed);

// The experts to shadow, in slot order (owner-major, as `slot_of` numbers them):
// the hottest first while each one lowers shadow_step_seconds (auto), or the
// `mode.top` hottest. Ties go to the lower expert id. Empty with ep = 1.
std::vector<int> shadow_choose(const ShadowProblem& p, const ShadowCosts& c, const ShadowMode& mode,
                               const std::vector<int>& slot_of);

// Bytes of one expert's block in this rank's hidden slice (weights and biases).
int64_t shadow_block_bytes(int64_t d_model, int64_t hidden_slice, bool swiglu);

// The dispatch plan's slots with `shadowed` experts (in slot order) run by every
// rank: each EP rank has local_experts = E/ep + |S| slots, its own experts (a
// shadowed one among them then draws no rows) followed by the shadowed ones.
struct ShadowSlots {
  int local_experts = 1;
  std::vector<int> slot_of;  // [E] expert → slot in [0, ep · local_experts)
};
ShadowSlots shadow_slots(const ExpertPlacement& placement, const std::vector<int>& shadowed,
                         int ep_rank);

}  // namespace paramoe
