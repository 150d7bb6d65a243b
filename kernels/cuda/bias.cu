#include "kernels/cuda/bias.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernel_util.cuh"

namespace paramoe::cuda {
namespace {

__global__ void bias_add_kernel(const float* bias, int64_t n, int64_t dim, float* y) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n * dim;
       i += int64_t{gridDim.x} * blockDim.x)
    y[i] += bias[i % dim];
}

__global__ void bias_backward_kernel(const float* dy, int64_t n, int64_t dim, float* dbias) {
  __shared__ float scratch[32];
  const int64_t col = blockIdx.x;
  float s = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += dy[i * dim + col];
  s = detail::block_sum(s, scratch);
  if (threadIdx.x == 0) dbias[col] += s;
}

}  // namespace

void bias_add(const float* bias, int64_t n, int64_t dim, float* y, cudaStream_t stream) {
  if (n * dim <= 0) return;
  bias_add_kernel<<<detail::grid_for(n * dim), detail::kThreads, 0, stream>>>(bias, n, dim, y);
  PARAMOE_CUDA_LAUNCHED();
}

void bias_backward(const float* dy, int64_t n, int64_t dim, float* dbias, cudaStream_t stream) {
  if (n <= 0 || dim <= 0) return;
  bias_backward_kernel<<<static_cast<unsigned>(dim), detail::kThreads, 0, stream>>>(dy, n, dim,
                                                                                    dbias);
  PARAMOE_CUDA_LAUNCHED();
}

}  // namespace paramoe::cuda
