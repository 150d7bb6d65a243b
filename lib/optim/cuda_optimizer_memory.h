#pragma once
// OptimizerMemory on this rank's current GPU (cuda_device_ops()): the moments and
// gradient-sync buffers are device arrays beside the backends' parameter copies.
#include <memory>

#include "optim/optimizer_memory.h"

namespace paramoe {

std::unique_ptr<OptimizerMemory> make_cuda_optimizer_memory();

}  // namespace paramoe
