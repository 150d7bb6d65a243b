#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/kernel_util.cuh"

namespace paramoe::cuda {
namespace {

template <class T>
__global__ void accumulate_kernel(const T* x, int64_t n, float* y) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    y[i] += detail::load(x + i);
}

template <class T>
void launch_accumulate(const T* x, int64_t n, float* y, cudaStream_t stream) {
  if (n <= 0) return;
  accumulate_kernel<<<detail::grid_for(n), detail::kThreads, 0, stream>>>(x, n, y);
  PARAMOE_CUDA_LAUNCHED();
}

}  // namespace

void accumulate(const float* x, int64_t n, float* y, cudaStream_t stream) {
  launch_accumulate(x, n, y, stream);
}

void accumulate(const bf16* x, int64_t n, float* y, cudaStream_t stream) {
  launch_accumulate(x, n, y, stream);
}

}  // namespace paramoe::cuda
