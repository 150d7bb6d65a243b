#include <cfloat>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernel_util.cuh"
#include "kernels/cuda/router_ops.h"

namespace paramoe::cuda {
namespace {

// One warp per row: routers have tens to hundreds of experts.
constexpr int kRowsPerBlock = 8;

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__global__ void softmax_lse_kernel(const float* logits, int64_t rows, int64_t cols, float* probs,
                                   float* lse) {
  const int64_t t = blockIdx.x * int64_t{kRowsPerBlock} + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (t >= rows) return;
  const float* l = logits + t * cols;
  float mx = -FLT_MAX;
  for (int64_t e = lane; e < cols; e += 32) mx = fmaxf(mx, l[e]);
  mx = warp_max(mx);
  float sum = 0.0f;
  for (int64_t e = lane; e < cols; e += 32) sum += expf(l[e] - mx);
  sum = warp_sum(sum);
  const float inv = 1.0f / sum;
  for (int64_t e = lane; e < cols; e += 32) probs[t * cols + e] = expf(l[e] - mx) * inv;
  if (lane == 0) lse[t] = mx + logf(sum);
}

// One thread per row, k passes: each pass takes the largest element that comes
// after the previous pick in (value descending, index ascending) order.
__global__ void topk_kernel(const float* x, int64_t rows, int64_t cols, int64_t k, int32_t* idx,
                            float* val) {
  for (int64_t t = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; t < rows;
       t += int64_t{gridDim.x} * blockDim.x) {
    const float* r = x + t * cols;
    float prev_v = FLT_MAX;
    int64_t prev_i = -1;
    for (int64_t j = 0; j < k; ++j) {
      float best_v = -FLT_MAX;
      int64_t best_i = -1;
      for (int64_t e = 0; e < cols; ++e) {
        const float v = r[e];
        const bool after_prev = v < prev_v || (v == prev_v && e > prev_i);
        if (after_prev && (best_i < 0 || v > best_v)) {
          best_v = v;
          best_i = e;
        }
      }
      idx[t * k + j] = static_cast<int32_t>(best_i);
      val[t * k + j] = best_v;
      prev_v = best_v;
      prev_i = best_i;
    }
  }
}

__global__ void softmax_backward_kernel(const float* probs, const float* dprobs, int64_t rows,
                                        int64_t cols, float* dlogits) {
  const int64_t t = blockIdx.x * int64_t{kRowsPerBlock} + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (t >= rows) return;
  const float* p = probs + t * cols;
  const float* dp = dprobs + t * cols;
  float dot = 0.0f;
  for (int64_t e = lane; e < cols; e += 32) dot += p[e] * dp[e];
  dot = warp_sum(dot);
  for (int64_t e = lane; e < cols; e += 32) dlogits[t * cols + e] = p[e] * (dp[e] - dot);
}

#define PARAMOE_FOR_EACH(i, n)                                              \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

__global__ void topk_renormalize_kernel(const float* val, int64_t rows, int k, float* weight) {
  PARAMOE_FOR_EACH(t, rows) {
    float s = 0.0f;
    for (int j = 0; j < k; ++j) s += val[t * k + j];
    for (int j = 0; j < k; ++j) weight[t * k + j] = val[t * k + j] / s;
  }
}

// One thread per (row, column) sets the aux term; the chosen experts' terms are
// then added by one thread per row, in choice order as on the CPU.
__global__ void dprobs_aux_kernel(int64_t rows, int64_t cols, const float* aux_grad,
                                  float* dprobs) {
  PARAMOE_FOR_EACH(i, rows * cols) dprobs[i] = aux_grad[i % cols];
}

__global__ void dprobs_choice_kernel(const float* dweight, const int32_t* expert,
                                     const float* topk_prob, const float* weight, int64_t rows,
                                     int64_t cols, int k, bool renormalize, float* dprobs) {
  PARAMOE_FOR_EACH(t, rows) {
    const float* dw = dweight + t * k;
    float* dp = dprobs + t * cols;
    if (renormalize) {
      float s = 0.0f, dot = 0.0f;
      for (int j = 0; j < k; ++j) {
        s += topk_prob[t * k + j];
        dot += dw[j] * weight[t * k + j];
      }
      for (int j = 0; j < k; ++j) dp[expert[t * k + j]] += (dw[j] - dot) / s;
    } else {
      for (int j = 0; j < k; ++j) dp[expert[t * k + j]] += dw[j];
    }
  }
}

__global__ void zloss_backward_kernel(const float* probs, const float* lse, int64_t rows,
                                      int64_t cols, float scale, float* dlogits) {
  PARAMOE_FOR_EACH(i, rows * cols) dlogits[i] += scale * lse[i / cols] * probs[i];
}

#undef PARAMOE_FOR_EACH

unsigned warp_rows_grid(int64_t rows) {
  return static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
}

}  // namespace

void topk_renormalize(const float* val, int64_t rows, int k, float* weight, cudaStream_t stream) {
  if (rows == 0) return;
  topk_renormalize_kernel<<<detail::grid_for(rows), detail::kThreads, 0, stream>>>(val, rows, k,
                                                                                   weight);
  PARAMOE_CUDA_LAUNCHED();
}

void router_dprobs(const float* dweight, const int32_t* expert, const float* topk_prob,
                   const float* weight, int64_t rows, int64_t cols, int k, bool renormalize,
                   const float* aux_grad, float* dprobs, cudaStream_t stream) {
  if (rows == 0) return;
  dprobs_aux_kernel<<<detail::grid_for(rows * cols), detail::kThreads, 0, stream>>>(
      rows, cols, aux_grad, dprobs);
  PARAMOE_CUDA_LAUNCHED();
  dprobs_choice_kernel<<<detail::grid_for(rows), detail::kThreads, 0, stream>>>(
      dweight, expert, topk_prob, weight, rows, cols, k, renormalize, dprobs);
  PARAMOE_CUDA_LAUNCHED();
}

void zloss_backward(const float* probs, const float* lse, int64_t rows, int64_t cols, float scale,
                    float* dlogits, cudaStream_t stream) {
  if (rows == 0) return;
  zloss_backward_kernel<<<detail::grid_for(rows * cols), detail::kThreads, 0, stream>>>(
      probs, lse, rows, cols, scale, dlogits);
  PARAMOE_CUDA_LAUNCHED();
}

void softmax_lse_forward(const float* logits, int64_t rows, int64_t cols, float* probs, float* lse,
                         cudaStream_t stream) {
  if (rows == 0) return;
  softmax_lse_kernel<<<warp_rows_grid(rows), 32 * kRowsPerBlock, 0, stream>>>(logits, rows, cols,
                                                                              probs, lse);
  PARAMOE_CUDA_LAUNCHED();
}

void topk_rows(const float* x, int64_t rows, int64_t cols, int64_t k, int32_t* idx, float* val,
               cudaStream_t stream) {
  if (rows == 0) return;
  topk_kernel<<<detail::grid_for(rows, 128), 128, 0, stream>>>(x, rows, cols, k, idx, val);
  PARAMOE_CUDA_LAUNCHED();
}

void softmax_backward(const float* probs, const float* dprobs, int64_t rows, int64_t cols,
                      float* dlogits, cudaStream_t stream) {
  if (rows == 0) return;
  softmax_backward_kernel<<<warp_rows_grid(rows), 32 * kRowsPerBlock, 0, stream>>>(
      probs, dprobs, rows, cols, dlogits);
  PARAMOE_CUDA_LAUNCHED();
}

}  // namespace paramoe::cuda
