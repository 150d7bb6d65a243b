#pragma once
// Where every routed row goes and where it lands. Rows leave a rank in
// slot-major order (expert_placement.h; so each EP peer's block is contiguous), arrive in blocks
// (source peer, local expert), and — after an optional all-gather over ESP — the
// experts read them in expert-major order through `sorted_from`.
#include <cstdint>
#include <vector>

#include "moe/router.h"

namespace paramoe {

struct DispatchPlan {
  int ep = 1;           // EP group size
  int num_experts = 1;  // E (global)
  int local_experts = 1;
  // Send side: one row per kept assignment, slot-major, then token, then choice.
  std::vector<int32_t> send_pos;    // [T, k] row in the send buffer, -1 if dropped
  std::vector<int32_t> send_token;  // per send row: the local token
  std::vector<int> send_counts;     // [ep, local_experts] = per slot
  std::vector<int> ep_send_rows;    // [ep]
  std::vector<int> ep_recv_rows;    // [ep]
  std::vector<int> recv_counts;     // [ep, local_experts] rows this rank receives
  // Layout the experts read: `blocks` copies of an [ep, local_experts] count matrix
  // (blocks = esp after an all-gather over ESP, 1 otherwise), block-major.
  int blocks = 1;
  std::vector<int> layout_counts;       // [blocks, ep, local_experts]
  std::vector<int> block_rows;          // [blocks]
  std::vector<int32_t> sorted_from;     // expert-sorted row i is layout row sorted_from[i]
  std::vector<int64_t> expert_offsets;  // [local_experts + 1] in sorted order

  int64_t send_rows() const { return static_cast<int64_t>(send_token.size()); }
  int64_t recv_rows() const;
  int64_t layout_rows() const { return static_cast<int64_t>(sorted_from.size()); }
};

// slot_of: expert → slot in [0, ep · local_experts): the layer's placement
// (local_experts = E/ep), or shadow_slots' (expert_shadow.h) with shadowed experts.
// pad_rows > 0 (moe.pad_to_capacity): every slot's block is padded to at least that
// many rows, as capacity-based systems (GShard, Tutel) lay out fixed-size expert
// buffers; the pad rows repeat token 0's row (so they cost what real rows cost),
// no send_pos points at them, so their outputs are dropped and their gradients
// are zero.
void dispatch_plan_build_send(const Routing& r, int ep, int local_experts,
                              const std::vector<int>& slot_of, DispatchPlan& plan,
                              int64_t pad_rows = 0);
// After the counts exchange: recv_counts [ep, local_experts].
void dispatch_plan_set_recv(DispatchPlan& plan, std::vector<int> recv_counts);
// counts: [blocks, ep, local_experts]; builds sorted_from and expert_offsets.
void dispatch_plan_set_layout(DispatchPlan& plan, int blocks, std::vector<int> counts);

}  // namespace paramoe
