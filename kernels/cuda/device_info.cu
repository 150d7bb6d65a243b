#include <cuda_runtime.h>

#include "kernels/cuda/device_info.h"

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

}  // namespace paramoe::cuda
