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

__global__ void scale_kernel(float* x, int64_t n, float a) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    x[i] *= a;
}

// Enough blocks to fill an H100 several times over; fixed, so that the partial
// sums (and their order) do not depend on the device.
constexpr int kSumBlocks = 512;

// Sum over the block in double; thread 0 gets the result. `scratch` holds 32.
__device__ double block_sum_double(double v, double* scratch) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) / 32;
  v = 0.0;
  if (threadIdx.x == 0)
    for (int w = 0; w < warps; ++w) v += scratch[w];
  return v;
}

__global__ void sum_squares_partial(const float* x, int64_t n, double* partial) {
  __shared__ double scratch[32];
  double s = 0.0;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const double v = x[i];
    s += v * v;
  }
  s = block_sum_double(s, scratch);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void sum_partials(const double* partial, int blocks, double* result) {
  __shared__ double scratch[32];
  double s = 0.0;
  for (int b = threadIdx.x; b < blocks; b += blockDim.x) s += partial[b];
  s = block_sum_double(s, scratch);
  if (threadIdx.x == 0) *result = s;
}

}  // namespace

void accumulate(const float* x, int64_t n, float* y, cudaStream_t stream) {
  launch_accumulate(x, n, y, stream);
}

void accumulate(const bf16* x, int64_t n, float* y, cudaStream_t stream) {
  launch_accumulate(x, n, y, stream);
}

void scale(float* x, int64_t n, float a, cudaStream_t stream) {
  if (n <= 0) return;
  scale_kernel<<<detail::grid_for(n), detail::kThreads, 0, stream>>>(x, n, a);
  PARAMOE_CUDA_LAUNCHED();
}

void sum_squares(const float* x, int64_t n, double* result, cudaStream_t stream) {
  if (n <= 0) {
    PARAMOE_CUDA_CHECK(cudaMemsetAsync(result, 0, sizeof(double), stream));
    return;
  }
  // Stream-ordered scratch: after the first call the pool serves it without a
  // device synchronisation.
  double* partial = nullptr;
  PARAMOE_CUDA_CHECK(cudaMallocAsync(&partial, kSumBlocks * sizeof(double), stream));
  sum_squares_partial<<<kSumBlocks, detail::kThreads, 0, stream>>>(x, n, partial);
  PARAMOE_CUDA_LAUNCHED();
  sum_partials<<<1, detail::kThreads, 0, stream>>>(partial, kSumBlocks, result);
  PARAMOE_CUDA_LAUNCHED();
  PARAMOE_CUDA_CHECK(cudaFreeAsync(partial, stream));
}

}  // namespace paramoe::cuda
