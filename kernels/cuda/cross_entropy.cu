#include "kernels/cuda/cross_entropy.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernel_util.cuh"

namespace paramoe::cuda {
namespace {

__global__ void row_max_kernel(const float* logits, int64_t V, float* row_max) {
  __shared__ float scratch[32];
  const float* l = logits + blockIdx.x * V;
  float m = -INFINITY;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) m = fmaxf(m, l[j]);
  m = detail::block_max(m, scratch);
  if (threadIdx.x == 0) row_max[blockIdx.x] = m;
}

__global__ void sum_exp_kernel(const float* logits, int64_t V, int64_t v0, const int32_t* targets,
                               const float* row_max, float* sum_exp, float* target_logit) {
  __shared__ float scratch[32];
  const int64_t i = blockIdx.x;
  const float* l = logits + i * V;
  float s = 0.0f;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) s += expf(l[j] - row_max[i]);
  s = detail::block_sum(s, scratch);
  if (threadIdx.x == 0) {
    sum_exp[i] = s;
    const int64_t t = static_cast<int64_t>(targets[i]) - v0;
    target_logit[i] = (targets[i] >= 0 && t >= 0 && t < V) ? l[t] : 0.0f;
  }
}

__global__ void ce_backward_kernel(const float* logits, int64_t V, int64_t v0,
                                   const int32_t* targets, const float* row_max,
                                   const float* sum_exp, float scale, float* dlogits) {
  const int64_t i = blockIdx.x;
  const float* l = logits + i * V;
  float* d = dlogits + i * V;
  const float w = scale;
  const bool skip = targets[i] < 0;
  const float inv = skip ? 0.0f : w / sum_exp[i];
  const int64_t t = static_cast<int64_t>(targets[i]) - v0;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) {
    float g = skip ? 0.0f : expf(l[j] - row_max[i]) * inv;
    if (!skip && j == t) g -= w;
    d[j] = g;
  }
}

}  // namespace

void ce_row_max(const float* logits, int64_t n, int64_t V, float* row_max, cudaStream_t stream) {
  if (n <= 0) return;
  row_max_kernel<<<static_cast<unsigned>(n), detail::kThreads, 0, stream>>>(logits, V, row_max);
  PARAMOE_CUDA_LAUNCHED();
}

void ce_sum_exp_and_target(const float* logits, int64_t n, int64_t V, int64_t v0,
                           const int32_t* targets, const float* row_max, float* sum_exp,
                           float* target_logit, cudaStream_t stream) {
  if (n <= 0) return;
  sum_exp_kernel<<<static_cast<unsigned>(n), detail::kThreads, 0, stream>>>(
      logits, V, v0, targets, row_max, sum_exp, target_logit);
  PARAMOE_CUDA_LAUNCHED();
}

void ce_backward(const float* logits, int64_t n, int64_t V, int64_t v0, const int32_t* targets,
                 const float* row_max, const float* sum_exp, float scale, float* dlogits,
                 cudaStream_t stream) {
  if (n <= 0) return;
  ce_backward_kernel<<<static_cast<unsigned>(n), detail::kThreads, 0, stream>>>(
      logits, V, v0, targets, row_max, sum_exp, scale, dlogits);
  PARAMOE_CUDA_LAUNCHED();
}

}  // namespace paramoe::cuda
