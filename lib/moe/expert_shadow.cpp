#include "moe/expert_shadow.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace paramoe {

int64_t shadow_block_bytes(int64_t d_model, int64_t hidden_slice, bool swiglu) {
  const int64_t mats = swiglu ? 3 : 2;
  return static_cast<int64_t>(sizeof(float)) *
         (mats * d_model * hidden_slice + (mats - 1) * hidden_slice + d_model);
}

ShadowLoad shadow_load(const std::vector<float>& share, const std::vector<int>& owner, int ep,
                       const std::vector<int>& shadowed) {
  std::vector<bool> in_s(share.size(), false);
  ShadowLoad load;
  for (int e : shadowed) {
    in_s[e] = true;
    load.shadowed += share[e];
  }
  std::vector<double> owned(ep, 0.0);
  for (size_t e = 0; e < share.size(); ++e)
    if (!in_s[e]) owned[owner[e]] += share[e];
  load.busiest = *std::max_element(owned.begin(), owned.end());
  return load;
}

double shadow_step_seconds(const ShadowProblem& p, const ShadowCosts& c,
                           const std::vector<int>& shadowed) {
  const ShadowLoad load = shadow_load(p.share, p.owner, p.ep, shadowed);
  const double busiest = load.busiest, s_share = load.shadowed;
  const double a = p.rows_per_rank;
  // Rows the busiest EP index's experts read: every rank's rows for its experts,
  // plus its own rows for the shadowed ones (each times the ESP all-gather).
  const double rows = p.esp_rows * (p.ep * a * busiest + a * s_share);
  const double mats = p.swiglu ? 3.0 : 2.0;
  const double hidden = static_cast<double>(p.d_hidden) / p.esp;
  const double gemm = 3.0 * rows * 2.0 * mats * p.d_model * hidden / c.flops_per_s;
  // All-to-all: the busiest receiver gets (ep−1)·a·share rows for its experts;
  // every rank sends (ep−1)/ep of its unshadowed rows.
  const double row_bytes = static_cast<double>(p.d_model) * sizeof(float);
  const double recv = (p.ep - 1) * a * busiest;
  const double send = a * (1.0 - s_share) * (p.ep - 1) / p.ep;
  const double a2a =
      4.0 * (std::max(recv, send) * row_bytes / c.link_bytes_per_s + (p.ep - 1) * c.latency_s);
  // The shadowed blocks go out once (forward) and their gradients come back once.
  double shadow = 0;
  if (!shadowed.empty()) {
    const double block =
        static_cast<double>(shadow_block_bytes(p.d_model, static_cast<int64_t>(hidden), p.swiglu));
    shadow = 2.0 * (shadowed.size() * block / c.link_bytes_per_s + (p.ep - 1) * c.latency_s);
  }
  return gemm + a2a + shadow;
}

std::vector<int> shadow_choose(const ShadowProblem& p, const ShadowCosts& c, const ShadowMode& mode,
                               const std::vector<int>& slot_of) {
  const int E = static_cast<int>(p.share.size());
  if (!mode.on || p.ep <= 1 || E == 0) return {};
  std::vector<int> hottest(E);
  std::iota(hottest.begin(), hottest.end(), 0);
  std::stable_sort(hottest.begin(), hottest.end(),
                   [&](int x, int y) { return p.share[x] > p.share[y]; });
  size_t take = static_cast<size_t>(std::min(mode.top, E));
  if (mode.top == 0) {
    PARAMOE_REQUIRE(c.flops_per_s > 0 && c.link_bytes_per_s > 0,
                    "moe.shadow = \"auto\" without the cluster's rates (plan.cluster)");
    // The best prefix of the hottest experts: a prefix rather than stopping at the
    // first expert that does not help, since two equally hot ranks gain only
    // when both are shadowed. Ties keep the shorter prefix.
    std::vector<int> s;
    double best = shadow_step_seconds(p, c, s);
    take = 0;
    for (int n = 1; n <= E; ++n) {
      s.push_back(hottest[n - 1]);
      const double t = shadow_step_seconds(p, c, s);
      if (t < best) {
        best = t;
        take = static_cast<size_t>(n);
      }
    }
  }
  std::vector<int> chosen(hottest.begin(), hottest.begin() + static_cast<std::ptrdiff_t>(take));
  std::sort(chosen.begin(), chosen.end(), [&](int x, int y) { return slot_of[x] < slot_of[y]; });
  return chosen;
}

ShadowSlots shadow_slots(const ExpertPlacement& placement, const std::vector<int>& shadowed,
                         int ep_rank) {
  const int L = placement.local_experts(), S = static_cast<int>(shadowed.size());
  ShadowSlots out;
  out.local_experts = L + S;
  out.slot_of.resize(placement.num_experts());
  for (int e = 0; e < placement.num_experts(); ++e) {
    const int slot = placement.slot_of[e];
    out.slot_of[e] = (slot / L) * (L + S) + slot % L;
  }
  for (int i = 0; i < S; ++i) out.slot_of[shadowed[i]] = ep_rank * (L + S) + L + i;
  return out;
}

}  // namespace paramoe
