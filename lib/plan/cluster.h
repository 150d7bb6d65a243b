#pragma once
// A cluster description for the cost model (inputs/clusters/*.toml): how many
// nodes and ranks, the alpha-beta parameters of the intra-node and inter-node
// links, and the compute rates of a device. `paramoe calibrate` measures one;
// published testbeds are written by hand from their specs.
//
//   [cluster] name, nodes, ranks_per_node
//   [intra]   bandwidth_GBps (per rank, each direction), latency_us, incast_penalty
//             (optional)
//   [inter]   bandwidth_GBps (per rank: a node's NIC bandwidth / its ranks), latency_us,
//             incast_penalty (optional)
//   [device]  gemm_TFLOPs (achieved fp32 or bf16 GEMM rate), memory_GBps, launch_us,
//             activation_Gps (optional: GELU/SwiGLU elements per second; CPUs spend
//             real time in erf/exp), speeds (optional, one relative factor per rank)
#include <ostream>
#include <string>
#include <vector>

#include "comm/alltoallv_methods.h"
#include "moe/expert_shadow.h"

namespace paramoe {

struct Link {
  double bandwidth_GBps = 0;
  double latency_us = 0;
  // A receiver fed by k senders at once carries 1/(1 + incast_penalty·(k − 1)) of
  // its rate (a2a_simulate.h); fitted by `paramoe calibrate`, 0 when absent.
  double incast_penalty = 0;
  double seconds(double bytes, int messages) const {
    return messages * latency_us * 1e-6 + bytes / (bandwidth_GBps * 1e9);
  }
};

struct ClusterSpec {
  std::string name;
  std::string origin;  // the file, for messages
  int nodes = 1;
  int ranks_per_node = 1;
  Link intra, inter;
  double gemm_TFLOPs = 0;
  double memory_GBps = 0;
  double launch_us = 0;
  double activation_Gps = 0;   // activation elements per second, forward (0: memory-bound)
  std::vector<double> speeds;  // empty: all 1
  int world() const { return nodes * ranks_per_node; }
};

// The speed of each group index from per-world-rank speeds: the minimum over the
// ranks that share the index, since ranks that work in lock step (ESP peers on
// one EP index's experts, an MP group on one data shard) go at the slowest one's
// pace. index_of_rank[r] is world rank r's index in [0, n); rank_speeds empty →
// all 1.
std::vector<double> slowest_speeds(const std::vector<double>& rank_speeds,
                                   const std::vector<int>& index_of_rank, int n);

// What moe.a2a = "auto" prices the all-to-all with: the link the EP group
// crosses (inter-node if it spans nodes), and the intra-node link for 2DH's
// first phase.
A2aLinkModel a2a_link_model(const ClusterSpec& c, bool across_nodes);

// What moe.shadow = "auto" prices with (expert_shadow.h): the device's GEMM rate
// (the slowest rank's, by `speeds`) and the link the EP group crosses.
ShadowCosts shadow_costs(const ClusterSpec& c, bool across_nodes);

// Throws a collective paramoe::Error naming the file and the key for a missing or
// bad value.
ClusterSpec cluster_load(const std::string& path);
ClusterSpec cluster_parse(const std::string& text, const std::string& origin);
// The file cluster_parse reads back (every value at full precision).
void cluster_write(std::ostream& out, const ClusterSpec& c);

}  // namespace paramoe
