#pragma once
// Timing one MoE layer's forward+backward the way every layer benchmark does:
// a barrier, the passes on host inputs, and the slowest rank's time per repeat.
#include <vector>

#include "comm/mpi_collectives.h"
#include "moe/moe_layer.h"

namespace paramoe {

struct LayerTiming {
  std::vector<double> step_s, alltoall_s;  // per timed repeat, max over ranks
  std::vector<double> shared_s;  // in the shared experts' FFN (moe.shared_experts), likewise
  // Each communication lane's busy time (MoeRun::lane_seconds), max over ranks, and
  // the lanes' overlap (MoeRun), the mean over ranks, per timed repeat.
  std::vector<double> intra_s, inter_s, overlap;
  double alltoall_bytes_mean = 0, alltoall_bytes_max = 0;  // per rank, last repeat
};

// The experts' GEMM bound of the layer's last forward+backward: each rank's useful
// expert FLOPs (forward and backward: 3 × the forward's 2·n·D·H per weight
// matrix, n the rows its experts ran) over the sgemm rate that all ranks sustain
// at once at the expert FFN's shapes (one row block through the forward's and the
// backward's GEMMs, OpenBLAS, sustained_seconds); the slowest rank's. Collective
// over the world. CPU layers only.
struct GemmBound {
  double seconds = 0;       // the bound: max over ranks of flops / rate
  double gflops_per_s = 0;  // the slowest rank's sustained rate
};
GemmBound expert_gemm_bound(MoeLayer& layer, MpiCollectives& host);

// x and dy hold `rows` host rows; y and dx receive them. Gradients are zeroed after.
LayerTiming time_layer(MoeLayer& layer, const std::vector<float>& x, const std::vector<float>& dy,
                       int64_t rows, int warmup, int repeats, MpiCollectives& host);

}  // namespace paramoe
