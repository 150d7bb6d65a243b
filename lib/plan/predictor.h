#pragma once
// The predictor: prices a schedule's step list (moe/schedule.h), the same list the
// executor runs, step by step under an alpha-beta model of the cluster
// (plan/cluster.h). Each step gets its expected size from the layer's shape under
// uniform routing. Then it is placed on its lane: local compute, the intra-node
// lane or the inter-node lane. A blocking step waits for the steps before it, a
// started collective occupies its lane until the matching Wait, and so s2's
// pipelines overlap in the prediction as they do when run.
//
// Collective prices (p ranks in the group, b bytes per block, α latency, β
// bandwidth of the link the group spans):
//   all-to-all(v)       (p−1)·α + max(bytes to peers on the node / β_intra,
//                                     bytes to other nodes / β_inter)
//     2DH (L ranks on each of N nodes; blocking all-to-alls only, since started
//     ones run MPI_Ialltoallv): (L−1)·α_intra + (L−1)·N·b/β_intra
//                               + (N−1)·α_inter + (N−1)·L·b/β_inter
//                               + two copies of the rows at memory bandwidth
//   all-gather(v)       (p−1)·(α + b/β)              (ring)
//   reduce-scatter(v)   (p−1)·(α + b/β) + the sums at memory bandwidth
//   all-reduce          2(p−1)·α + 2(p−1)/p·bytes/β
//   small (counts, loss statistics)  ⌈log2 p⌉·α
// Compute: GEMM FLOPs at gemm_TFLOPs plus launch_us per GEMM call; row movement
// at memory_GBps; the slowest rank's speed factor bounds every rank.
// Skew (expert_share): the busiest EP rank's rows set the experts' GEMMs, the
// ESP collectives and the permutes, and the all-to-all's largest block is the
// larger of what a rank sends a peer and what the busiest receives from one.
// Shadowing: the experts shadow_choose picks (with the cluster's rates) leave the
// all-to-all, every rank runs its own rows for them, and their blocks are gathered
// over EP (forward) and their gradients reduce-scattered back (backward), each a
// ring of |S| one-expert blocks.
// Shared experts: a one-expert FFN of width S/mp on all of the shard's tokens
// (forward and backward like the experts' GEMMs), its MP partial sums
// reduce-scattered (ring over MP) or, in `replicated`, all-reduced, and added.
// Data-centric (schedule dc): the expert weights' all-gather and the gradients'
// reduce-scatter are rings over the ep·esp expert group with one rank's expert
// shard per block; the experts run on this rank's own routed rows, one GEMM group
// per gathered block. The gather is priced as started with the layer (in steady
// state the previous layer's prefetch starts it earlier); the prefetch step itself
// costs nothing here, since it is the next layer's gather.
#include <string>
#include <vector>

#include "comm/process_grid.h"
#include "core/config.h"
#include "moe/schedule.h"
#include "plan/cluster.h"

namespace paramoe {

struct LayerShape {
  int64_t tokens = 0;  // rows of the layer input on one data-parallel shard
  int d_model = 0, d_hidden = 0, experts = 0, top_k = 1;
  bool swiglu = false;
  double capacity_factor = 0;  // 0: dropless
  int bytes_per_element = 4;
  int a2a_bytes_per_element = 4;  // 2 with moe.a2a_precision = "bf16"
  bool a2a_two_level = false;     // moe.a2a = "2dh": blocking all-to-alls run 2DH
  int shared_experts = 0;         // the shared FFN's width is shared_experts · d_hidden
  // Each expert's share of the assignments (bench.routing's skew); empty: uniform.
  // Experts sit on EP ranks contiguously.
  std::vector<float> expert_share;
  std::string shadow = "off";  // moe.shadow: shadow_choose picks as the executor would
};

struct StepPrice {
  Op op;
  Lane lane;
  int chunk;
  bool backward;
  double start, end;  // seconds from the start of the forward pass
  double bytes;       // sent to other ranks
};

struct Prediction {
  double forward = 0, backward = 0;          // seconds
  double compute = 0, intra = 0, inter = 0;  // busy seconds per lane, both passes
  std::vector<StepPrice> steps;
  int shadowed = 0;  // experts the shadowing picked (moe.shadow)
  double total() const { return forward + backward; }
  // Busy time that ran beside other busy time: what the pipelining saved.
  double overlap() const { return compute + intra + inter - total(); }
};

// The shape of a layer with config m on `tokens` rows per data-parallel shard (fp32).
LayerShape layer_shape(const MoeConfig& m, int64_t tokens);

Prediction predict_layer(const Schedule& schedule, const LayerShape& shape, const Layout& layout,
                         const ClusterSpec& cluster);

}  // namespace paramoe
