#include <cmath>

#include "kernels/cuda/attention.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/kernel_util.cuh"

namespace paramoe::cuda {
namespace {

// Row `blockIdx.x` of the [batch, heads, seq, seq] scores: mask, then softmax in place.
__global__ void masked_softmax_kernel(float* p, int64_t heads, int64_t S, bool causal,
                                      const uint8_t* key_valid) {
  __shared__ float scratch[32];
  const int64_t row = blockIdx.x, i = row % S, b = row / (S * heads);
  float* r = p + row * S;
  float m = -INFINITY;
  for (int64_t j = threadIdx.x; j < S; j += blockDim.x) {
    const bool masked = (causal && j > i) || (key_valid && !key_valid[b * S + j]);
    if (masked) r[j] = -INFINITY;
    m = fmaxf(m, r[j]);
  }
  m = detail::block_max(m, scratch);
  if (m == -INFINITY) {  // nothing to attend to: a zero output row
    for (int64_t j = threadIdx.x; j < S; j += blockDim.x) r[j] = 0.0f;
    return;
  }
  float s = 0.0f;
  for (int64_t j = threadIdx.x; j < S; j += blockDim.x) s += (r[j] = expf(r[j] - m));
  const float inv = 1.0f / detail::block_sum(s, scratch);
  for (int64_t j = threadIdx.x; j < S; j += blockDim.x) r[j] *= inv;
}

// dS = P ∘ (dP − Σ_j dP·P) · scale, one block per row of one head, in place in dp.
__global__ void softmax_backward_kernel(float* dp, const float* p, int64_t S, float scale) {
  __shared__ float scratch[32];
  float* d = dp + blockIdx.x * S;
  const float* pr = p + blockIdx.x * S;
  float dot = 0.0f;
  for (int64_t j = threadIdx.x; j < S; j += blockDim.x) dot += d[j] * pr[j];
  dot = detail::block_sum(dot, scratch);
  for (int64_t j = threadIdx.x; j < S; j += blockDim.x) d[j] = pr[j] * (d[j] - dot) * scale;
}

}  // namespace

// Each sequence's heads run as one strided-batched GEMM (head h's columns start h·hd
// into a qkv row; its probabilities are the h-th S×S block), so a pass makes batch
// cuBLAS calls per product rather than batch·heads.
void attention_forward(const AttentionShape& s, const float* qkv, const uint8_t* key_valid,
                       float* probs, float* out, cudaStream_t stream) {
  const int64_t S = s.seq, hd = s.head_dim, H = s.heads, width = H * hd, ld = 3 * width;
  if (s.batch * H * S == 0) return;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int64_t b = 0; b < s.batch; ++b) {
    const float* q = qkv + b * S * ld;
    gemm_strided_batched(false, true, S, S, hd, scale, q, ld, hd, q + width, ld, hd, 0.0f,
                         probs + b * H * S * S, S, S * S, H, stream);
  }
  masked_softmax_kernel<<<static_cast<unsigned>(s.batch * H * S), detail::kThreads, 0, stream>>>(
      probs, H, S, s.causal, key_valid);
  PARAMOE_CUDA_LAUNCHED();
  for (int64_t b = 0; b < s.batch; ++b) {
    const float* q = qkv + b * S * ld;
    gemm_strided_batched(false, false, S, hd, S, 1.0f, probs + b * H * S * S, S, S * S,
                         q + 2 * width, ld, hd, 0.0f, out + b * S * width, width, hd, H, stream);
  }
}

void attention_backward(const AttentionShape& s, const float* qkv, const float* probs,
                        const float* dout, float* dqkv, float* scratch, cudaStream_t stream) {
  const int64_t S = s.seq, hd = s.head_dim, H = s.heads, width = H * hd, ld = 3 * width;
  if (s.batch * H * S == 0) return;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int64_t b = 0; b < s.batch; ++b) {
    const float* q = qkv + b * S * ld;
    const float* p = probs + b * H * S * S;
    const float* dO = dout + b * S * width;
    float* dq = dqkv + b * S * ld;
    // dP = dO·Vᵀ and dV = Pᵀ·dO, per head.
    gemm_strided_batched(false, true, S, S, hd, 1.0f, dO, width, hd, q + 2 * width, ld, hd, 0.0f,
                         scratch, S, S * S, H, stream);
    gemm_strided_batched(true, false, S, hd, S, 1.0f, p, S, S * S, dO, width, hd, 0.0f,
                         dq + 2 * width, ld, hd, H, stream);
    softmax_backward_kernel<<<static_cast<unsigned>(H * S), detail::kThreads, 0, stream>>>(
        scratch, p, S, scale);
    PARAMOE_CUDA_LAUNCHED();
    // dQ = dS·K and dK = dSᵀ·Q.
    gemm_strided_batched(false, false, S, hd, S, 1.0f, scratch, S, S * S, q + width, ld, hd, 0.0f,
                         dq, ld, hd, H, stream);
    gemm_strided_batched(true, false, S, hd, S, 1.0f, scratch, S, S * S, q, ld, hd, 0.0f,
                         dq + width, ld, hd, H, stream);
  }
}

}  // namespace paramoe::cuda
