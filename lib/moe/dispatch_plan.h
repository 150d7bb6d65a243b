#pragma once
// Where every routed row goes and where it lands. Rows leave a rank in
// slot-major order (expert_placement.h; so each EP peer's block is contiguous), arrive in blocks
// (source peer, local expert), and — after an optional all-gather over ESP — the
// experts read them in expert-major order through `sorted_from`. The indices live
// in the device's memory (PlanIndices), built there from the router's tensors; the
// host holds only counts: the collectives' and the expert GEMMs' shapes.
#include <cstdint>
#include <vector>

#include "device/device_array.h"
#include "device/device_ops.h"
#include "moe/router.h"

namespace paramoe {

struct DispatchPlan {
  int ep = 1;           // EP group size
  int num_experts = 1;  // E (global)
  int local_experts = 1;
  // Send side: one row per kept assignment, slot-major, then token, then choice.
  std::vector<int> send_counts;      // [ep, local_experts] = per slot
  std::vector<int> ep_send_rows;     // [ep]
  std::vector<int> ep_recv_rows;     // [ep]
  std::vector<int> recv_counts;      // [ep, local_experts] rows this rank receives
  std::vector<int64_t> expert_rows;  // [E] this rank's kept assignments per expert
  // Layout the experts read: `blocks` copies of an [ep, local_experts] count matrix
  // (blocks = esp after an all-gather over ESP, 1 otherwise), block-major.
  int blocks = 1;
  std::vector<int> layout_counts;       // [blocks, ep, local_experts]
  std::vector<int> block_rows;          // [blocks]
  std::vector<int64_t> expert_offsets;  // [local_experts + 1] in sorted order
  int64_t send_total = 0;               // rows in the send buffer
  int64_t layout_total = 0;             // rows in the layout

  int64_t send_rows() const { return send_total; }
  int64_t layout_rows() const { return layout_total; }
};

// The plan's indices in the device's memory; they grow to the largest pass and
// are reused.
struct PlanIndices {
  DeviceArray<int32_t> slot_of;        // [E]
  DeviceArray<int64_t> counts;         // [slots] rows per slot
  DeviceArray<int32_t> send_pos;       // [T, k] row in the send buffer, -1 if dropped
  DeviceArray<int32_t> send_token;     // [send rows] the local token of each send row
  DeviceArray<int32_t> layout_counts;  // [blocks, ep, local_experts]
  DeviceArray<int32_t> sorted_from;    // expert-sorted row i is layout row sorted_from[i]
};

// The send side from the router's tensors t. slot_of: expert (all E) →
// slot in [0, ep · local_experts): the layer's placement (local_experts = E/ep),
// or shadow_slots' (expert_shadow.h) with shadowed experts.
// pad_rows > 0 (moe.pad_to_capacity): every slot's block is padded to at least that
// many rows, as capacity-based systems (GShard, Tutel) lay out fixed-size expert
// buffers; the pad rows repeat token 0's row (so they cost what real rows cost),
// no send_pos points at them, so their outputs are dropped and their gradients
// are zero. That baseline's layout is built on the host.
void dispatch_plan_build_send(const DeviceOps& ops, RouterTensors& t, int ep, int local_experts,
                              const std::vector<int>& slot_of, DispatchPlan& plan, PlanIndices& idx,
                              int64_t pad_rows = 0);
// After the counts exchange: recv_counts [ep, local_experts].
void dispatch_plan_set_recv(DispatchPlan& plan, std::vector<int> recv_counts);
// counts: [blocks, ep, local_experts]; builds sorted_from (in idx) and expert_offsets.
void dispatch_plan_set_layout(const DeviceOps& ops, DispatchPlan& plan, PlanIndices& idx,
                              int blocks, std::vector<int> counts);

}  // namespace paramoe
