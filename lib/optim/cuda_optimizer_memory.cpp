#include "optim/cuda_optimizer_memory.h"

#include "device/cuda_device_ops.h"

namespace paramoe {

std::unique_ptr<OptimizerMemory> make_cuda_optimizer_memory() {
  return std::make_unique<OptimizerMemory>(cuda_device_ops());
}

}  // namespace paramoe
