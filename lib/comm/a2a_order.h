#pragma once
// Orders for an all-to-all(v), after Aurora (arXiv 2410.17043). Under the
// big-switch model every rank has one send port and one receive port; a transfer
// i→j runs at min(B_i, B_j); two senders feeding one receiver at once both slow
// down. The all-to-all can finish no sooner than the busiest port:
//
//   T* = max over ranks r of max(Σ_j t_rj, Σ_i t_ir),   t_ij = d_ij / min(B_i, B_j).
//
// An order is a list of pieces (a transfer, or a part of one) with start times.
// Each port handles its pieces one at a time in start order, so no receiver is
// ever fed by two senders at once, and executing the same list on every rank is
// deadlock-free (the globally first unfinished piece always has both of its ports
// free). Every rank derives the same order from the same matrix: the algorithms
// are deterministic (the random baseline takes its seed).
//
// The diagonal (a rank's own block) never crosses the network and is ignored.
#include <cstdint>
#include <string>
#include <vector>

namespace paramoe {

// d(i, j): units (rows, bytes) rank i sends to rank j.
struct TrafficMatrix {
  int n = 0;
  std::vector<int64_t> d;  // row-major n × n
  TrafficMatrix() = default;
  explicit TrafficMatrix(int ranks) : n(ranks), d(static_cast<size_t>(ranks) * ranks, 0) {}
  int64_t& at(int i, int j) { return d[static_cast<size_t>(i) * n + j]; }
  int64_t at(int i, int j) const { return d[static_cast<size_t>(i) * n + j]; }
};

// Per-rank link bandwidths (units per second); empty means all equal to 1.
using Bandwidths = std::vector<double>;

// Seconds for `units` from i to j at min(B_i, B_j).
double transfer_time(const Bandwidths& bw, int i, int j, double units);

// T* above (tight under the big-switch model with min-rate transfers).
double a2a_lower_bound(const TrafficMatrix& m, const Bandwidths& bw);
// Aurora's per-port form, max over r of max(row_r, col_r) / B_r. Equal to T* on
// equal links; below it when fast ranks must talk to slow ones.
double a2a_port_bound(const TrafficMatrix& m, const Bandwidths& bw);

struct A2aPiece {
  int src = 0, dst = 0;
  int64_t offset = 0;  // first unit within the src→dst block
  int64_t count = 0;   // units
  double start = 0;    // planned start (seconds under the model); orders the ports
};

struct A2aOrder {
  std::string algorithm;
  std::vector<A2aPiece> pieces;  // sorted by (start, src, dst, offset)
  int rounds = 0;                // distinct start times
  // Pairwise runs as MPI_Sendrecv steps: a rank starts step s+1 only when both
  // its send and its receive of step s are done. Other orders run each port on
  // its own.
  bool lockstep = false;
};

enum class OrderAlgorithm { Bvn, Greedy, Pairwise, Random, ShortestFirst };
OrderAlgorithm order_algorithm_from_string(const std::string& s);  // throws Error
std::string to_string(OrderAlgorithm a);

struct OrderOptions {
  // BvN: transfers shorter than this fraction of T* are not decomposed (each would
  // add rounds of its own, O(n²) in all) but fitted whole into idle port time
  // afterwards, which bounds the rounds by the number of large transfers.
  double tiny_fraction = 1.0 / 256;
  uint64_t seed = 1;  // Random
};

// Birkhoff–von Neumann: pad the time matrix to equal line sums T*, peel perfect
// matchings off its support (each a round in which every rank sends to one peer
// and receives from one), and keep the real part of each. Preemptive and optimal:
// the rounds sum to T* exactly, before tiny pieces are merged.
A2aOrder order_bvn(const TrafficMatrix& m, const Bandwidths& bw, const OrderOptions& o = {});
// Aurora's greedy, event-driven: whenever ports free up, free senders are paired
// with free receivers that have a pending transfer, the one whose busier port has
// the most work left first (the bottleneck). Whole transfers only. The same pass
// also runs with two other priorities (the two ports' summed work left; the
// longest transfer) and the shortest of the three plans is kept: on unequal links
// one rule alone left a transfer finishing alone at 1.11x the bound.
A2aOrder order_greedy(const TrafficMatrix& m, const Bandwidths& bw);
// Step s = 1..n-1: rank r sends to r+s and receives from r−s (mod n).
A2aOrder order_pairwise(const TrafficMatrix& m, const Bandwidths& bw);
// Baselines: all transfers in a random order, or shortest first, list-scheduled.
A2aOrder order_random(const TrafficMatrix& m, const Bandwidths& bw, uint64_t seed);
A2aOrder order_shortest_first(const TrafficMatrix& m, const Bandwidths& bw);

A2aOrder make_order(OrderAlgorithm a, const TrafficMatrix& m, const Bandwidths& bw,
                    const OrderOptions& o = {});

// Checks that the pieces of every transfer tile it exactly (offsets 0..d_ij, no
// overlap); returns "" or what is wrong.
std::string check_order(const TrafficMatrix& m, const A2aOrder& order);

}  // namespace paramoe
