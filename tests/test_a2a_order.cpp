// All-to-all orders and their simulation (no MPI): every order delivers every unit
// exactly once, keeps each port to one transfer at a time, is deterministic, and
// the bounds and makespans agree with hand-worked cases and Aurora's claims.
#include <gtest/gtest.h>

#include <algorithm>

#include "comm/a2a_order.h"
#include "comm/a2a_simulate.h"
#include "comm/alltoallv_methods.h"
#include "core/error.h"
#include "core/rng.h"
#include "plan/traffic.h"

namespace paramoe {
namespace {

const OrderAlgorithm kAll[] = {OrderAlgorithm::Bvn, OrderAlgorithm::Greedy,
                               OrderAlgorithm::Pairwise, OrderAlgorithm::Random,
                               OrderAlgorithm::ShortestFirst};

TrafficMatrix random_matrix(int n, uint64_t seed, int64_t max_units) {
  TrafficMatrix m(n);
  for (int k = 0; k < n * n; ++k)
    m.d[k] = static_cast<int64_t>(uniform01(seed, 7, k) * static_cast<double>(max_units)) + 1;
  return m;
}

TrafficMatrix skewed(int n, uint64_t seed, const std::string& kind) {
  return make_traffic({.kind = kind,
                       .ranks = n,
                       .experts = 4 * n,
                       .tokens = 512,
                       .zipf_s = 0.8,
                       .hot_fraction = 0.1,
                       .seed = seed});
}

// Matrices of every shape the executor can meet.
std::vector<std::pair<std::string, TrafficMatrix>> cases() {
  std::vector<std::pair<std::string, TrafficMatrix>> out;
  for (int n : {1, 2, 3, 5, 8, 16}) {
    out.emplace_back("random n=" + std::to_string(n), random_matrix(n, n, 1000));
    TrafficMatrix zr = random_matrix(n, 100 + n, 50);
    for (int j = 0; j < n; ++j) zr.at(0, j) = 0;  // rank 0 sends nothing
    out.emplace_back("zero-row n=" + std::to_string(n), zr);
    TrafficMatrix zc = random_matrix(n, 200 + n, 50);
    for (int i = 0; i < n; ++i) zc.at(i, n - 1) = 0;  // nobody sends to the last rank
    out.emplace_back("zero-col n=" + std::to_string(n), zc);
    out.emplace_back("zeros n=" + std::to_string(n), TrafficMatrix(n));
  }
  for (int n : {4, 8, 32}) {
    out.emplace_back("zipf n=" + std::to_string(n), skewed(n, 3, "zipf"));
    out.emplace_back("hot n=" + std::to_string(n), skewed(n, 4, "hot"));
  }
  return out;
}

// Planned intervals of each port do not overlap (for orders with real times).
// Slack: a piece may run over by one unit's time where BvN rounds time back to
// whole units on unequal links.
void expect_ports_exclusive(const TrafficMatrix& m, const A2aOrder& o, const Bandwidths& bw,
                            const std::string& what, double slack = 1e-9) {
  std::vector<std::vector<std::pair<double, double>>> send(m.n), recv(m.n);
  for (const A2aPiece& p : o.pieces) {
    const double e = p.start + transfer_time(bw, p.src, p.dst, static_cast<double>(p.count));
    send[p.src].emplace_back(p.start, e);
    recv[p.dst].emplace_back(p.start, e);
  }
  for (auto* ports : {&send, &recv})
    for (auto& iv : *ports) {
      std::sort(iv.begin(), iv.end());
      for (size_t k = 1; k < iv.size(); ++k)
        EXPECT_GE(iv[k].first, iv[k - 1].second * (1 - 1e-12) - slack) << what << ": overlap";
    }
}

TEST(A2aOrder, EveryOrderDeliversEveryUnitOnceAndIsDeterministic) {
  for (const auto& [name, m] : cases())
    for (OrderAlgorithm a : kAll) {
      const std::string what = name + " / " + to_string(a);
      const A2aOrder o = make_order(a, m, {});
      EXPECT_EQ(check_order(m, o), "") << what;
      const A2aOrder again = make_order(a, m, {});
      ASSERT_EQ(o.pieces.size(), again.pieces.size()) << what;
      for (size_t k = 0; k < o.pieces.size(); ++k) {
        EXPECT_EQ(o.pieces[k].src, again.pieces[k].src) << what;
        EXPECT_EQ(o.pieces[k].dst, again.pieces[k].dst) << what;
        EXPECT_EQ(o.pieces[k].offset, again.pieces[k].offset) << what;
        EXPECT_EQ(o.pieces[k].start, again.pieces[k].start) << what;
      }
    }
}

TEST(A2aOrder, BvnAndGreedyNeverFeedOnePortTwice) {
  const Bandwidths hetero = {100, 80, 50, 40, 100, 80, 50, 40};
  for (const auto& [name, m] : cases()) {
    expect_ports_exclusive(m, order_bvn(m, {}), {}, name + " bvn");
    expect_ports_exclusive(m, order_greedy(m, {}), {}, name + " greedy");
    if (m.n == 8) {
      const double unit = 1.0 / 40;  // the slowest rate
      expect_ports_exclusive(m, order_bvn(m, hetero), hetero, name + " bvn hetero", unit);
      expect_ports_exclusive(m, order_greedy(m, hetero), hetero, name + " greedy hetero");
    }
  }
}

TEST(A2aOrder, BoundsOnAHandWorkedMatrix) {
  // Rank 0 sends 3+4 = 7; rank 2 receives 4+6 = 10 — the bottleneck.
  TrafficMatrix m(3);
  m.at(0, 1) = 3, m.at(0, 2) = 4, m.at(1, 2) = 6, m.at(2, 0) = 1,
          m.at(1, 1) = 100;  // diagonal ignored
  EXPECT_DOUBLE_EQ(a2a_lower_bound(m, {}), 10.0);
  EXPECT_DOUBLE_EQ(a2a_port_bound(m, {}), 10.0);
  // Rank 2 at half speed: its 10 units take 20; rank 0 → 1 at full speed.
  const Bandwidths bw = {1, 1, 0.5};
  EXPECT_DOUBLE_EQ(a2a_port_bound(m, bw), 20.0);
  EXPECT_DOUBLE_EQ(a2a_lower_bound(m, bw), 20.0);
  // Rank 0 → 2 and 0 → 1: a fast sender to a slow receiver runs at the slow rate.
  EXPECT_DOUBLE_EQ(transfer_time(bw, 0, 2, 4), 8.0);
}

TEST(A2aOrder, BvnReachesTheBoundExactlyWithoutTinyTransfers) {
  OrderOptions exact;
  exact.tiny_fraction = 0;
  for (const auto& [name, m] : cases()) {
    const double bound = a2a_lower_bound(m, {});
    const double t = simulate_order(order_bvn(m, {}, exact), m.n, {}, 0);
    EXPECT_NEAR(t, bound, 1e-9 * std::max(1.0, bound)) << name;
    // With tiny transfers fitted into idle time, within Aurora's 1.01.
    EXPECT_LE(simulate_order(order_bvn(m, {}), m.n, {}, 0), 1.01 * bound + 1e-9) << name;
  }
}

TEST(A2aOrder, OnSkewedTrafficOrderedBeatsRandomAndShortestFirst) {
  double ordered = 0, random = 0, sjf = 0;
  for (int n : {8, 16, 32, 64})
    for (uint64_t seed = 1; seed <= 3; ++seed)
      for (const std::string kind : {"zipf", "hot"}) {
        const TrafficMatrix m = skewed(n, seed, kind);
        const double bound = a2a_lower_bound(m, {});
        const double g = simulate_order(order_greedy(m, {}), n, {}, 0) / bound;
        EXPECT_LE(g, 1.10) << kind << " n=" << n << " seed " << seed;  // Aurora's claim
        ordered += g;
        random += simulate_order(order_random(m, {}, seed), n, {}, 0) / bound;
        sjf += simulate_order(order_shortest_first(m, {}), n, {}, 0) / bound;
      }
  EXPECT_LT(ordered, random);
  EXPECT_LT(ordered, sjf);
}

TEST(A2aOrder, HeterogeneousGreedyWithinTenPercentOfItsBound) {
  Bandwidths bw;
  for (int r = 0; r < 32; ++r) bw.push_back(std::vector<double>{100, 80, 50, 40}[r / 8]);
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    TrafficMatrix m = skewed(32, seed, "zipf");
    for (int64_t& v : m.d) v *= 4096;  // bytes: BvN rounds time back to whole units
    const double bound = a2a_lower_bound(m, bw);
    EXPECT_GE(bound, a2a_port_bound(m, bw) * (1 - 1e-12));
    EXPECT_LE(simulate_order(order_greedy(m, bw), 32, bw, 0), 1.10 * bound);
    EXPECT_LE(simulate_order(order_bvn(m, bw), 32, bw, 0), 1.01 * bound);
  }
}

// The sweep's worst points (perf/results/a2a_orders.csv): 8 ranks on links of
// 100/80/50/40 GB/s, a hot expert taking 10% of the picks or uniform traffic, 4096
// tokens per rank, top-2, 4 experts per rank, 4096-byte rows, seeds 1-5 as `plan
// a2a` draws them. Aurora's rule alone left one matrix at 1.108x the bound; the
// greedy order (the best of its three rules) is within Aurora's 1.07x.
TEST(A2aOrder, HeterogeneousGreedyAtEightRanksWithinSevenPercent) {
  const Bandwidths bw = link_bandwidths(8, {100, 80, 50, 40});
  for (const std::string kind : {"hot", "uniform"})
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      TrafficMatrix m = make_traffic({.kind = kind,
                                      .ranks = 8,
                                      .experts = 32,
                                      .tokens = 4096,
                                      .top_k = 2,
                                      .zipf_s = 0.8,
                                      .hot_fraction = 0.1,
                                      .seed = seed});
      for (int64_t& v : m.d) v *= 4096;
      const double bound = a2a_lower_bound(m, bw);
      EXPECT_LE(simulate_order(order_greedy(m, bw), 8, bw, 0), 1.07 * bound)
          << kind << " seed " << seed;
    }
}

TEST(A2aSimulate, HandWorkedCases) {
  TrafficMatrix m(2);
  m.at(0, 1) = 6, m.at(1, 0) = 2;
  // Both directions at once: the slower one decides.
  EXPECT_DOUBLE_EQ(simulate_all_at_once(m, {}, 0), 6.0);
  EXPECT_DOUBLE_EQ(simulate_order(order_pairwise(m, {}), 2, {}, 0.5), 6.5);
  // Incast: two senders of 4 into one receiver share it: 8 in all.
  TrafficMatrix in(3);
  in.at(0, 2) = 4, in.at(1, 2) = 4;
  EXPECT_DOUBLE_EQ(simulate_all_at_once(in, {}, 0), 8.0);
  EXPECT_DOUBLE_EQ(simulate_order(order_greedy(in, {}), 3, {}, 0), 8.0);
  // Pairwise in lockstep on a 3-ring: step 1 is 0→1 (5), 1→2 (1), 2→0 (1); step 2
  // waits for the slowest rank of each pair.
  TrafficMatrix ring(3);
  ring.at(0, 1) = 5, ring.at(1, 2) = 1, ring.at(2, 0) = 1, ring.at(0, 2) = 1;
  // Step 1: rank 0 is busy sending 5 until 5, rank 1 receiving it until 5, rank 2
  // is done at 1. Step 2: 0→2 starts when both 0 and 2 are ready, at 5; ends at 6.
  EXPECT_DOUBLE_EQ(simulate_order(order_pairwise(ring, {}), 3, {}, 0), 6.0);
}

// moe.a2a = auto's choice. Under the big-switch model, all at once with max-min
// fair ports is never slower than an order here, so native wins; on a tie (the
// ring, where pairwise also takes 6) it wins as the simpler; and the order it
// priced is a valid order of the matrix, ready to run.
TEST(A2aChoose, NativeUnlessAnOrderIsClearlyFaster) {
  TrafficMatrix ring(3);
  ring.at(0, 1) = 5, ring.at(1, 2) = 1, ring.at(2, 0) = 1, ring.at(0, 2) = 1;
  ASSERT_DOUBLE_EQ(simulate_all_at_once(ring, {}, 0),
                   simulate_order(order_pairwise(ring, {}), 3, {}, 0));
  A2aLinkModel unit;
  unit.bytes_per_s = {1.0};
  unit.latency_s = 0;
  A2aOrder o;
  EXPECT_EQ(a2a_choose(ring, 1, OrderAlgorithm::Greedy, unit, &o), A2aMethod::Native);
  EXPECT_EQ(check_order(ring, o), "");
  for (const char* kind : {"uniform", "zipf", "hot"}) {
    const TrafficMatrix m = skewed(16, 3, kind);
    A2aOrder bvn;
    EXPECT_EQ(a2a_choose(m, 4096, OrderAlgorithm::Bvn, {}, &bvn), A2aMethod::Native) << kind;
    EXPECT_EQ(check_order(m, bvn), "") << kind;
  }
}

// The incast penalty: two senders feeding one receiver at once get 1/(1 + c) of
// its rate between them until one is done; a lone sender, or an order that feeds
// it one at a time, pays nothing.
TEST(A2aSimulate, IncastPenaltySlowsOnlyAReceiverFedBySeveralSenders) {
  TrafficMatrix in(3);
  in.at(0, 2) = 4, in.at(1, 2) = 4;
  EXPECT_DOUBLE_EQ(simulate_all_at_once(in, {}, 0, 0.5), 12.0);  // 8 at rate 1/1.5
  EXPECT_DOUBLE_EQ(simulate_order(order_greedy(in, {}), 3, {}, 0), 8.0);
  TrafficMatrix one(2);
  one.at(0, 1) = 4;
  EXPECT_DOUBLE_EQ(simulate_all_at_once(one, {}, 0, 0.5), 4.0);
  // Unequal loads: 2 and 6 into one receiver; both at 1/(2·1.5) until the first
  // is done at 6, then the rest (4) alone at the full rate.
  in.at(0, 2) = 2, in.at(1, 2) = 6;
  EXPECT_DOUBLE_EQ(simulate_all_at_once(in, {}, 0, 0.5), 10.0);
}

// With an incast penalty, auto picks an order on hot-expert traffic, whose hot
// receiver every rank feeds at once, where without one it keeps native. (Pairwise
// ties with greedy on this matrix.)
TEST(A2aChoose, IncastPenaltyTurnsHotTrafficToTheOrder) {
  const TrafficMatrix m = make_traffic(
      {.kind = "hot", .ranks = 8, .experts = 32, .tokens = 512, .hot_fraction = 0.5, .seed = 1});
  A2aLinkModel link;
  link.bytes_per_s = {1e8};
  link.latency_s = 1e-4;
  EXPECT_EQ(a2a_choose(m, 4096, OrderAlgorithm::Greedy, link), A2aMethod::Native);
  link.incast_penalty = 0.5;
  const A2aMethod pick = a2a_choose(m, 4096, OrderAlgorithm::Greedy, link);
  EXPECT_TRUE(pick == A2aMethod::Pairwise || pick == A2aMethod::Ordered) << a2a_method_name(pick);
}

TEST(Traffic, GeneratorIsDeterministicAndCountsEveryPick) {
  TrafficSpec s;
  s.ranks = 8;
  s.experts = 32;
  s.tokens = 100;
  s.top_k = 2;
  for (const std::string kind : {"uniform", "zipf", "hot"}) {
    s.kind = kind;
    const TrafficMatrix a = make_traffic(s), b = make_traffic(s);
    EXPECT_EQ(a.d, b.d);
    for (int r = 0; r < 8; ++r) {
      int64_t row = 0;
      for (int q = 0; q < 8; ++q) row += a.at(r, q);
      EXPECT_EQ(row, 200) << kind;  // tokens × top_k, diagonal included
    }
  }
  s.experts = 30;
  EXPECT_THROW(make_traffic(s), Error);
}

}  // namespace
}  // namespace paramoe
