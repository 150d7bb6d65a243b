// The expert placement planner (no MPI): valid plans, Aurora's heaviest-to-fastest
// rule, and makespans close to the optimum found by brute force on small cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <numeric>

#include "core/rng.h"
#include "plan/cluster.h"
#include "plan/placement_plan.h"
#include "plan/traffic.h"

namespace paramoe {
namespace {

std::vector<double> random_loads(int E, uint64_t seed) {
  std::vector<double> l(E);
  // Heavy-tailed: exp of a normal, like routed counts under a skewed router.
  for (int e = 0; e < E; ++e) l[e] = std::round(100.0 * std::exp(1.2 * normal01(seed, 3, e)));
  return l;
}

void expect_valid(const std::vector<int>& owner, int E, int ep) {
  ASSERT_EQ(static_cast<int>(owner.size()), E);
  std::vector<int> held(ep, 0);
  for (int r : owner) {
    ASSERT_GE(r, 0);
    ASSERT_LT(r, ep);
    ++held[r];
  }
  for (int h : held) EXPECT_EQ(h, E / ep);
}

// The best makespan over every placement with E/ep experts per rank.
double brute_force_optimum(const std::vector<double>& loads, const std::vector<double>& speeds,
                           int ep) {
  const int E = static_cast<int>(loads.size());
  std::vector<int> owner(E, -1), held(ep, 0);
  double best = 1e300;
  std::function<void(int)> place = [&](int e) {
    if (e == E) {
      best = std::min(best, placement_makespan(loads, speeds, owner, ep));
      return;
    }
    for (int r = 0; r < ep; ++r) {
      if (held[r] == E / ep) continue;
      owner[e] = r, ++held[r];
      place(e + 1);
      --held[r];
    }
  };
  place(0);
  return best;
}

TEST(PlacementPlan, HeaviestExpertsGoToFastestDevices) {
  // One expert per rank: the k-th heaviest expert lands on the k-th fastest rank.
  const std::vector<double> speeds = {40, 100, 50, 80, 100, 40, 80, 50};
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::vector<double> loads = random_loads(8, seed);
    const std::vector<int> owner = plan_placement(loads, speeds, 8);
    expect_valid(owner, 8, 8);
    for (int a = 0; a < 8; ++a)
      for (int b = 0; b < 8; ++b)
        if (loads[a] > loads[b]) {
          EXPECT_GE(speeds[owner[a]], speeds[owner[b]]) << "seed " << seed;
        }
  }
}

TEST(PlacementPlan, NearOptimalOnSmallCases) {
  // 8 experts on 4 ranks (2520 placements) and 9 on 3: equal and unequal speeds.
  struct Case {
    int E, ep;
    std::vector<double> speeds;
  };
  const Case cases[] = {{8, 4, {}}, {8, 4, {100, 80, 50, 40}}, {9, 3, {}}, {9, 3, {1, 2, 3}}};
  std::vector<double> ratios;
  for (const Case& c : cases)
    for (uint64_t seed = 1; seed <= 25; ++seed) {
      const std::vector<double> loads = random_loads(c.E, seed);
      const std::vector<int> owner = plan_placement(loads, c.speeds, c.ep);
      expect_valid(owner, c.E, c.ep);
      const double got = placement_makespan(loads, c.speeds, owner, c.ep);
      const double opt = brute_force_optimum(loads, c.speeds, c.ep);
      EXPECT_LE(got, 1.10 * opt) << "E=" << c.E << " ep=" << c.ep << " seed " << seed;
      ratios.push_back(got / opt);
    }
  std::sort(ratios.begin(), ratios.end());
  EXPECT_LE(ratios[ratios.size() / 2], 1.0 + 1e-12) << "the median case should be optimal";
}

TEST(PlacementPlan, NeverWorseThanContiguousOnSkewedTraffic) {
  for (int ep : {4, 8, 16})
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      const ExpertTraffic t = make_expert_traffic(
          {.kind = "zipf", .ranks = ep, .experts = 4 * ep, .tokens = 1024, .seed = seed});
      const std::vector<double> loads = t.expert_load();
      std::vector<int> contiguous(4 * ep);
      for (int e = 0; e < 4 * ep; ++e) contiguous[e] = e / 4;
      const std::vector<int> owner = plan_placement(loads, {}, ep);
      expect_valid(owner, 4 * ep, ep);
      // Lower bound: the average, or the rank holding the heaviest expert together
      // with the three lightest others (every rank holds four).
      std::vector<double> sorted = loads;
      std::sort(sorted.begin(), sorted.end());
      const double total = std::accumulate(loads.begin(), loads.end(), 0.0);
      const double lower = std::max(total / ep, sorted.back() + sorted[0] + sorted[1] + sorted[2]);
      EXPECT_LE(placement_makespan(loads, {}, owner, ep),
                placement_makespan(loads, {}, contiguous, ep));
      EXPECT_LE(placement_makespan(loads, {}, owner, ep), 1.10 * lower) << "ep " << ep;
    }
}

TEST(PlacementPlan, Deterministic) {
  const std::vector<double> loads = random_loads(32, 9);
  EXPECT_EQ(plan_placement(loads, {3, 1, 2, 1}, 4), plan_placement(loads, {3, 1, 2, 1}, 4));
}

TEST(Speeds, AnIndexGoesAtItsSlowestRank) {
  // 4 ranks, ep = 2 (ESP pairs share an EP index): ranks 0,1 → ep 0; 2,3 → ep 1.
  EXPECT_EQ(slowest_speeds({100, 40, 80, 90}, {0, 0, 1, 1}, 2), (std::vector<double>{40, 80}));
  EXPECT_EQ(slowest_speeds({}, {0, 0, 1, 1}, 2), (std::vector<double>{1, 1}));
}

}  // namespace
}  // namespace paramoe
