#pragma once
// OptimizerMemory on this rank's current GPU: the moments and gradient-sync
// buffers are device arrays beside the backends' parameter copies, and the
// arithmetic is kernels/cuda's on the legacy default stream, where the model's
// kernels run, so the step is ordered after the backward without a synchronisation.
#include <memory>

#include "optim/optimizer_memory.h"

namespace paramoe {

std::unique_ptr<OptimizerMemory> make_cuda_optimizer_memory();

}  // namespace paramoe
