#pragma once
// Synthetic MoE all-to-all traffic: the rows each rank sends to each other rank
// when `tokens` tokens per rank pick top_k distinct experts from a popularity
// distribution, with experts placed E/n per rank in rank order. Deterministic in
// the seed. Used by `paramoe plan a2a`, the ordering tests and benchmarks.
#include <cstdint>
#include <string>
#include <vector>

#include "comm/a2a_order.h"

namespace paramoe {

struct TrafficSpec {
  std::string kind = "zipf";  // uniform | zipf | hot
  int ranks = 8;
  int experts = 32;   // divisible by ranks
  int tokens = 4096;  // per rank
  int top_k = 2;
  double zipf_s = 1.2;        // zipf: popularity ∝ 1/(i+1)^s over a random expert permutation
  double hot_fraction = 0.5;  // hot: this share of picks goes to one expert
  double rank_jitter = 0.5;   // each rank's own preferences: lognormal(σ) factors
  uint64_t seed = 1;
};

// rows[r · experts + e]: the rows rank r routes to expert e.
struct ExpertTraffic {
  int ranks = 0, experts = 0;
  std::vector<int64_t> rows;
  std::vector<double> expert_load() const;  // Σ over ranks
};

// Throws Error naming the field when the spec is inconsistent.
ExpertTraffic make_expert_traffic(const TrafficSpec& spec);
// The rank × rank matrix when expert e lives on EP rank owner[e].
TrafficMatrix traffic_for_placement(const ExpertTraffic& t, const std::vector<int>& owner);
// make_expert_traffic under the contiguous placement (E/n experts per rank in order).
TrafficMatrix make_traffic(const TrafficSpec& spec);

// Per-expert loads from a file: numbers separated by commas or newlines, one per
// expert. Throws Error naming the path.
std::vector<double> read_expert_loads(const std::string& path);
// Loads read from a file carry no sender: each expert's rows spread evenly.
ExpertTraffic traffic_from_loads(const std::vector<double>& loads, int ranks);

// One value per rank from a list of classes given to equal blocks of ranks, in
// order (e.g. 100,80,50,40 over 8 ranks: 100 100 80 80 50 50 40 40).
std::vector<double> per_rank_classes(int n, const std::vector<double>& classes);
// The same for link classes in GB/s, as bytes/s per rank.
Bandwidths link_bandwidths(int n, const std::vector<double>& gbps);

// Writes m as CSV (read_traffic_csv reads it back). Throws Error naming the path.
void write_traffic_csv(const std::string& path, const TrafficMatrix& m);

// A matrix from a CSV file of n rows of n non-negative integers.
TrafficMatrix read_traffic_csv(const std::string& path);

}  // namespace paramoe
