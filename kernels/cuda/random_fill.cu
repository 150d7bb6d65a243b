#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernel_util.cuh"
#include "kernels/cuda/random_fill.h"

namespace paramoe::cuda {
namespace {

__device__ __forceinline__ uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

template <class T>
__global__ void fill_uniform_kernel(T* x, int64_t n, uint64_t seed, float scale) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const double u =
        static_cast<double>(splitmix64(seed ^ splitmix64(i)) >> 11) * (1.0 / 9007199254740992.0);
    detail::store(x + i, static_cast<float>((2.0 * u - 1.0) * scale));
  }
}

}  // namespace

void fill_uniform(float* x, int64_t n, uint64_t seed, float scale, cudaStream_t stream) {
  fill_uniform_kernel<<<detail::grid_for(n), detail::kThreads, 0, stream>>>(x, n, seed, scale);
  PARAMOE_CUDA_LAUNCHED();
}
void fill_uniform(bf16* x, int64_t n, uint64_t seed, float scale, cudaStream_t stream) {
  fill_uniform_kernel<<<detail::grid_for(n), detail::kThreads, 0, stream>>>(x, n, seed, scale);
  PARAMOE_CUDA_LAUNCHED();
}

}  // namespace paramoe::cuda
