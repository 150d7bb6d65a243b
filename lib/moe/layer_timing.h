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
  double alltoall_bytes_mean = 0, alltoall_bytes_max = 0;  // per rank, last repeat
};

// x and dy hold `rows` host rows; y and dx receive them. Gradients are zeroed after.
LayerTiming time_layer(MoeLayer& layer, const std::vector<float>& x, const std::vector<float>& dy,
                       int64_t rows, int warmup, int repeats, MpiCollectives& host);

}  // namespace paramoe
