#include "device/cuda_device_info.h"

#include <cuda_runtime.h>

#include "kernels/cuda/cuda_check.h"

namespace paramoe::cuda {

int device_count(std::string& why) {
  int n = 0;
  const cudaError_t rc = cudaGetDeviceCount(&n);
  if (rc != cudaSuccess) {
    why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(rc);
    return 0;
  }
  if (n == 0) why = "no CUDA device visible";
  return n;
}

void memory_in_use(size_t& used, size_t& total) {
  size_t free = 0;
  PARAMOE_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  used = total - free;
}

}  // namespace paramoe::cuda
