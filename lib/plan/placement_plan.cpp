#include "plan/placement_plan.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace paramoe {
namespace {

std::vector<double> speeds_or_equal(const std::vector<double>& speeds, int ep) {
  if (speeds.empty()) return std::vector<double>(ep, 1.0);
  PARAMOE_REQUIRE(static_cast<int>(speeds.size()) == ep, "placement: one speed per EP rank");
  for (double s : speeds) PARAMOE_REQUIRE(s > 0, "placement: speeds must be > 0");
  return speeds;
}

std::vector<double> rank_loads(const std::vector<double>& loads, const std::vector<int>& owner,
                               int ep) {
  std::vector<double> sum(ep, 0.0);
  for (size_t e = 0; e < loads.size(); ++e) sum[owner[e]] += loads[e];
  return sum;
}

}  // namespace

double placement_makespan(const std::vector<double>& loads, const std::vector<double>& speeds,
                          const std::vector<int>& owner, int ep) {
  const std::vector<double> s = speeds_or_equal(speeds, ep);
  const std::vector<double> sum = rank_loads(loads, owner, ep);
  double worst = 0;
  for (int r = 0; r < ep; ++r) worst = std::max(worst, sum[r] / s[r]);
  return worst;
}

std::vector<int> plan_placement(const std::vector<double>& loads, const std::vector<double>& speeds,
                                int ep) {
  const int E = static_cast<int>(loads.size());
  PARAMOE_REQUIRE(ep >= 1 && E % ep == 0, "placement: experts must divide evenly over ep");
  const std::vector<double> s = speeds_or_equal(speeds, ep);
  const int cap = E / ep;

  std::vector<int> order(E);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return loads[a] > loads[b]; });
  std::vector<int> owner(E, -1), held(ep, 0);
  std::vector<double> sum(ep, 0.0);
  for (int e : order) {
    int best = -1;
    for (int r = 0; r < ep; ++r) {
      if (held[r] == cap) continue;
      if (best < 0) {
        best = r;
        continue;
      }
      const double tr = (sum[r] + loads[e]) / s[r], tb = (sum[best] + loads[e]) / s[best];
      if (tr < tb || (tr == tb && s[r] > s[best])) best = r;
    }
    owner[e] = best;
    ++held[best];
    sum[best] += loads[e];
  }

  // Swap improvement: move load off the bottleneck rank b by exchanging one of its
  // experts with one elsewhere, taking the swap that leaves the pair's larger time
  // smallest; stop when none lowers it. Each accepted swap strictly lowers the
  // bottleneck pair's maximum, so this terminates; the cap bounds pathological runs.
  for (int iter = 0; iter < E * E; ++iter) {
    int b = 0;
    for (int r = 1; r < ep; ++r)
      if (sum[r] / s[r] > sum[b] / s[b]) b = r;
    const double now = sum[b] / s[b];
    double best_after = now;
    int best_e = -1, best_f = -1;
    for (int e = 0; e < E; ++e) {
      if (owner[e] != b) continue;
      for (int f = 0; f < E; ++f) {
        const int r = owner[f];
        if (r == b || loads[f] >= loads[e]) continue;
        const double d = loads[e] - loads[f];
        const double after = std::max((sum[b] - d) / s[b], (sum[r] + d) / s[r]);
        if (after < best_after * (1 - 1e-12)) best_after = after, best_e = e, best_f = f;
      }
    }
    if (best_e < 0) break;
    const int r = owner[best_f];
    const double d = loads[best_e] - loads[best_f];
    sum[b] -= d;
    sum[r] += d;
    std::swap(owner[best_e], owner[best_f]);
  }
  return owner;
}

}  // namespace paramoe
