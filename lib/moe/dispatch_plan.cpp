#include "moe/dispatch_plan.h"

#include <algorithm>
#include <numeric>

namespace paramoe {

namespace {

// Moves each slot's rows to the start of a block of max(count, pad_rows) rows.
void pad_slots(const DeviceOps& ops, const RouterTensors& t, const std::vector<int32_t>& slot,
               int64_t pad_rows, std::vector<int64_t>& count, int64_t rows, PlanIndices& idx) {
  const int64_t n = t.tokens * t.k;
  const std::vector<int32_t> expert = to_host(ops.memory, t.expert.data(), n);
  std::vector<int32_t> pos = to_host(ops.memory, idx.send_pos.data(), n);
  const std::vector<int32_t> send_token = to_host(ops.memory, idx.send_token.data(), rows);
  const size_t slots = count.size();
  std::vector<int64_t> from(slots + 1, 0), to(slots + 1, 0);
  for (size_t s = 0; s < slots; ++s) {
    from[s + 1] = from[s] + count[s];
    to[s + 1] = to[s] + std::max(count[s], pad_rows);
  }
  std::vector<int32_t> token(static_cast<size_t>(to[slots]), 0);
  for (size_t s = 0; s < slots; ++s)
    for (int64_t i = 0; i < count[s]; ++i) token[to[s] + i] = send_token[from[s] + i];
  for (size_t a = 0; a < pos.size(); ++a) {
    if (pos[a] < 0) continue;
    const auto s = static_cast<size_t>(slot[expert[a]]);
    pos[a] = static_cast<int32_t>(to[s] + (pos[a] - from[s]));
  }
  upload(ops.memory, pos.data(), pos.size(), idx.send_pos.data());
  upload(ops.memory, token.data(), token.size(), idx.send_token.fit(ops.memory, token.size()));
  for (size_t s = 0; s < slots; ++s) count[s] = std::max(count[s], pad_rows);
}

}  // namespace

void dispatch_plan_build_send(const DeviceOps& ops, RouterTensors& t, int ep, int local_experts,
                              const std::vector<int>& slot_of, DispatchPlan& plan, PlanIndices& idx,
                              int64_t pad_rows) {
  const int E = static_cast<int>(slot_of.size()), k = t.k, slots = ep * local_experts;
  plan.ep = ep;
  plan.num_experts = E;
  plan.local_experts = local_experts;
  const std::vector<int32_t> slot(slot_of.begin(), slot_of.end());
  upload(ops.memory, slot.data(), slot.size(), idx.slot_of.fit(ops.memory, slot.size()));
  // Room for every assignment: the kept rows' count is known only after the kernel.
  const int64_t n = t.tokens * k;
  int64_t* d_counts = idx.counts.fit(ops.memory, slots);
  ops.dispatch_positions(t.expert.data(), router_kept(ops, t), t.tokens, k, idx.slot_of.data(),
                         slots, d_counts, idx.send_pos.fit(ops.memory, n),
                         idx.send_token.fit(ops.memory, n));
  std::vector<int64_t> count = to_host(ops.memory, d_counts, slots);
  plan.send_total = std::accumulate(count.begin(), count.end(), int64_t{0});
  plan.expert_rows.assign(E, 0);
  for (int e = 0; e < E; ++e) plan.expert_rows[e] = count[slot[e]];
  if (pad_rows > 0 && t.tokens > 0) {
    pad_slots(ops, t, slot, pad_rows, count, plan.send_total, idx);
    plan.send_total = std::accumulate(count.begin(), count.end(), int64_t{0});
  }
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

void dispatch_plan_set_layout(const DeviceOps& ops, DispatchPlan& plan, PlanIndices& idx,
                              int blocks, std::vector<int> counts) {
  const int P = plan.ep, L = plan.local_experts;
  plan.blocks = blocks;
  plan.layout_counts = std::move(counts);
  plan.block_rows.assign(blocks, 0);
  plan.expert_offsets.assign(L + 1, 0);
  for (int q = 0; q < blocks; ++q)
    for (int p = 0; p < P; ++p)
      for (int le = 0; le < L; ++le) {
        const int c = plan.layout_counts[(static_cast<size_t>(q) * P + p) * L + le];
        plan.block_rows[q] += c;
        plan.expert_offsets[le + 1] += c;
      }
  for (int le = 0; le < L; ++le) plan.expert_offsets[le + 1] += plan.expert_offsets[le];
  plan.layout_total = plan.expert_offsets[L];
  const std::vector<int32_t> c(plan.layout_counts.begin(), plan.layout_counts.end());
  upload(ops.memory, c.data(), c.size(), idx.layout_counts.fit(ops.memory, c.size()));
  ops.layout_order(idx.layout_counts.data(), blocks, P, L,
                   idx.sorted_from.fit(ops.memory, plan.layout_total));
}

}  // namespace paramoe
