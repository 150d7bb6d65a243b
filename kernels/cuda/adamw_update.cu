#include "kernels/cuda/adamw_update.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernel_util.cuh"

namespace paramoe::cuda {
namespace {

__global__ void adamw_kernel(float* value, const float* grad, float* m, float* v, int64_t n,
                             AdamWStep s) {
  for (int64_t j = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; j < n;
       j += int64_t{gridDim.x} * blockDim.x) {
    const float g = grad[j];
    const float mj = s.b1 * m[j] + (1.0f - s.b1) * g;
    const float vj = s.b2 * v[j] + (1.0f - s.b2) * g * g;
    m[j] = mj;
    v[j] = vj;
    const float denom = sqrtf(vj * s.inv_bc2) + s.eps;
    value[j] -= s.step * mj / denom + s.decay * value[j];
  }
}

}  // namespace

void adamw_update(float* value, const float* grad, float* m, float* v, int64_t n,
                  const AdamWStep& s, cudaStream_t stream) {
  if (n == 0) return;
  adamw_kernel<<<detail::grid_for(n), detail::kThreads, 0, stream>>>(value, grad, m, v, n, s);
  PARAMOE_CUDA_LAUNCHED();
}

}  // namespace paramoe::cuda
