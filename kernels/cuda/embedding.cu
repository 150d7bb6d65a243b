#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/kernel_util.cuh"

namespace paramoe::cuda {
namespace {

__global__ void embedding_forward_kernel(const int32_t* ids, int64_t n, const float* table,
                                         int64_t v0, int64_t rows, int64_t dim, float* out) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n * dim;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = ids[i / dim] - v0;
    out[i] = (r >= 0 && r < rows) ? table[r * dim + i % dim] : 0.0f;
  }
}

__global__ void embedding_backward_kernel(const int32_t* ids, int64_t n, const float* dout,
                                          int64_t v0, int64_t rows, int64_t dim, float* dtable) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n * dim;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = ids[i / dim] - v0;
    if (r >= 0 && r < rows) atomicAdd(dtable + r * dim + i % dim, dout[i]);
  }
}

}  // namespace

void embedding_forward(const int32_t* ids, int64_t n, const float* table, int64_t v0, int64_t rows,
                       int64_t dim, float* out, cudaStream_t stream) {
  if (n * dim <= 0) return;
  embedding_forward_kernel<<<detail::grid_for(n * dim), detail::kThreads, 0, stream>>>(
      ids, n, table, v0, rows, dim, out);
  PARAMOE_CUDA_LAUNCHED();
}

void embedding_backward(const int32_t* ids, int64_t n, const float* dout, int64_t v0, int64_t rows,
                        int64_t dim, float* dtable, cudaStream_t stream) {
  if (n * dim <= 0) return;
  embedding_backward_kernel<<<detail::grid_for(n * dim), detail::kThreads, 0, stream>>>(
      ids, n, dout, v0, rows, dim, dtable);
  PARAMOE_CUDA_LAUNCHED();
}

}  // namespace paramoe::cuda
