#include "moe/dispatch_plan.h"

#include <algorithm>
#include <numeric>

#include "kernels/cpu/dispatch_ops.h"

namespace paramoe {

int64_t DispatchPlan::recv_rows() const {
  return std::accumulate(recv_counts.begin(), recv_counts.end(), int64_t{0});
}

namespace {

// Moves each slot's rows to the start of a block of max(count, pad_rows) rows.
void pad_slots(const Routing& r, const std::vector<int32_t>& slot, int64_t pad_rows,
               std::vector<int64_t>& count, DispatchPlan& plan) {
  const size_t slots = count.size();
  std::vector<int64_t> from(slots + 1, 0), to(slots + 1, 0);
  for (size_t s = 0; s < slots; ++s) {
    from[s + 1] = from[s] + count[s];
    to[s + 1] = to[s] + std::max(count[s], pad_rows);
  }
  std::vector<int32_t> token(static_cast<size_t>(to[slots]), 0);
  for (size_t s = 0; s < slots; ++s)
    for (int64_t i = 0; i < count[s]; ++i) token[to[s] + i] = plan.send_token[from[s] + i];
  for (size_t a = 0; a < plan.send_pos.size(); ++a) {
    if (plan.send_pos[a] < 0) continue;
    const auto s = static_cast<size_t>(slot[r.expert[a]]);
    plan.send_pos[a] = static_cast<int32_t>(to[s] + (plan.send_pos[a] - from[s]));
  }
  plan.send_token = std::move(token);
  for (size_t s = 0; s < slots; ++s) count[s] = std::max(count[s], pad_rows);
}

}  // namespace

void dispatch_plan_build_send(const Routing& r, int ep, int local_experts,
                              const std::vector<int>& slot_of, DispatchPlan& plan,
                              int64_t pad_rows) {
  const int E = r.num_experts, k = r.k, slots = ep * local_experts;
  plan.ep = ep;
  plan.num_experts = E;
  plan.local_experts = local_experts;
  std::vector<int64_t> count(slots, 0);
  const std::vector<int32_t> slot(slot_of.begin(), slot_of.end());
  const int64_t rows = std::accumulate(r.kept.begin(), r.kept.end(), int64_t{0});
  plan.send_pos.assign(r.tokens * k, -1);
  plan.send_token.assign(rows, 0);
  cpu::dispatch_positions(r.expert.data(), r.kept.data(), r.tokens, k, slot.data(), slots,
                          count.data(), plan.send_pos.data(), plan.send_token.data());
  if (pad_rows > 0 && r.tokens > 0) pad_slots(r, slot, pad_rows, count, plan);
  plan.ep_send_rows.assign(ep, 0);
  plan.send_counts.assign(slots, 0);
  for (int s = 0; s < slots; ++s) {
    plan.send_counts[s] = static_cast<int>(count[s]);
    plan.ep_send_rows[s / plan.local_experts] += static_cast<int>(count[s]);
  }
}

void dispatch_plan_set_recv(DispatchPlan& plan, std::vector<int> recv_counts) {
  plan.recv_counts = std::move(recv_counts);
  plan.ep_recv_rows.assign(plan.ep, 0);
  for (int p = 0; p < plan.ep; ++p)
    for (int le = 0; le < plan.local_experts; ++le)
      plan.ep_recv_rows[p] += plan.recv_counts[p * plan.local_experts + le];
}

void dispatch_plan_set_layout(DispatchPlan& plan, int blocks, std::vector<int> counts) {
  const int P = plan.ep, L = plan.local_experts;
  plan.blocks = blocks;
  plan.layout_counts = std::move(counts);
  plan.block_rows.assign(blocks, 0);
  // start[q][p][le]: first layout row of that block
  std::vector<int64_t> start(static_cast<size_t>(blocks) * P * L, 0);
  int64_t row = 0;
  for (int q = 0; q < blocks; ++q)
    for (int p = 0; p < P; ++p)
      for (int le = 0; le < L; ++le) {
        const size_t i = (static_cast<size_t>(q) * P + p) * L + le;
        start[i] = row;
        row += plan.layout_counts[i];
        plan.block_rows[q] += plan.layout_counts[i];
      }
  plan.sorted_from.assign(row, 0);
  plan.expert_offsets.assign(L + 1, 0);
  int64_t out = 0;
  for (int le = 0; le < L; ++le) {
    for (int q = 0; q < blocks; ++q)
      for (int p = 0; p < P; ++p) {
        const size_t i = (static_cast<size_t>(q) * P + p) * L + le;
        for (int c = 0; c < plan.layout_counts[i]; ++c)
          plan.sorted_from[out++] = static_cast<int32_t>(start[i] + c);
      }
    plan.expert_offsets[le + 1] = out;
  }
}

}  // namespace paramoe
