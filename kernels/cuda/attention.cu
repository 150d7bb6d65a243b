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

// The products' operands: the fp32 arrays themselves, or bf16 copies of them.
struct Fp32Operands {
  const float* qkv(const float* x, int64_t) { return x; }
  const float* dout(const float* x, int64_t) { return x; }
  const float* probs(const float* x, int64_t) { return x; }
  const float* dscores(const float* x, int64_t) { return x; }
};

struct Bf16Operands {
  AttentionBf16Scratch& to;
  cudaStream_t stream;
  // Each cast is queued on `stream` after what wrote x and before the GEMM that reads
  // the copy, so a buffer the next sequence reuses is rewritten after this one's GEMMs.
  const bf16* qkv(const float* x, int64_t n) { return cast_into(x, n, to.qkv, stream); }
  const bf16* dout(const float* x, int64_t n) { return cast_into(x, n, to.dout, stream); }
  const bf16* probs(const float* x, int64_t n) { return cast_into(x, n, to.probs, stream); }
  const bf16* dscores(const float* x, int64_t n) { return cast_into(x, n, to.dscores, stream); }
};

// Each sequence's heads run as one strided-batched GEMM (head h's columns start h·hd
// into a qkv row; its probabilities are the h-th S×S block), so a pass makes batch
// cuBLAS calls per product rather than batch·heads.
template <class Operands>
void forward_on(const AttentionShape& s, const float* qkv, const uint8_t* key_valid, float* probs,
                float* out, Operands in, cudaStream_t stream) {
  const int64_t S = s.seq, hd = s.head_dim, H = s.heads, width = H * hd, ld = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const auto* x = in.qkv(qkv, s.batch * S * ld);
  for (int64_t b = 0; b < s.batch; ++b) {
    const auto* q = x + b * S * ld;
    gemm_strided_batched(false, true, S, S, hd, scale, q, ld, hd, q + width, ld, hd, 0.0f,
                         probs + b * H * S * S, S, S * S, H, stream);
  }
  masked_softmax_kernel<<<static_cast<unsigned>(s.batch * H * S), detail::kThreads, 0, stream>>>(
      probs, H, S, s.causal, key_valid);
  PARAMOE_CUDA_LAUNCHED();
  for (int64_t b = 0; b < s.batch; ++b) {
    const auto* q = x + b * S * ld;
    const auto* p = in.probs(probs + b * H * S * S, H * S * S);
    gemm_strided_batched(false, false, S, hd, S, 1.0f, p, S, S * S, q + 2 * width, ld, hd, 0.0f,
                         out + b * S * width, width, hd, H, stream);
  }
}

template <class Operands>
void backward_on(const AttentionShape& s, const float* qkv, const float* probs, const float* dout,
                 float* dqkv, float* scratch, Operands in, cudaStream_t stream) {
  const int64_t S = s.seq, hd = s.head_dim, H = s.heads, width = H * hd, ld = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const auto* x = in.qkv(qkv, s.batch * S * ld);
  const auto* dy = in.dout(dout, s.batch * S * width);
  for (int64_t b = 0; b < s.batch; ++b) {
    const auto* q = x + b * S * ld;
    const float* p32 = probs + b * H * S * S;
    const auto* dO = dy + b * S * width;
    float* dq = dqkv + b * S * ld;
    // dP = dO·Vᵀ and dV = Pᵀ·dO, per head.
    gemm_strided_batched(false, true, S, S, hd, 1.0f, dO, width, hd, q + 2 * width, ld, hd, 0.0f,
                         scratch, S, S * S, H, stream);
    gemm_strided_batched(true, false, S, hd, S, 1.0f, in.probs(p32, H * S * S), S, S * S, dO, width,
                         hd, 0.0f, dq + 2 * width, ld, hd, H, stream);
    softmax_backward_kernel<<<static_cast<unsigned>(H * S), detail::kThreads, 0, stream>>>(
        scratch, p32, S, scale);
    PARAMOE_CUDA_LAUNCHED();
    // dQ = dS·K and dK = dSᵀ·Q.
    const auto* ds = in.dscores(scratch, H * S * S);
    gemm_strided_batched(false, false, S, hd, S, 1.0f, ds, S, S * S, q + width, ld, hd, 0.0f, dq,
                         ld, hd, H, stream);
    gemm_strided_batched(true, false, S, hd, S, 1.0f, ds, S, S * S, q, ld, hd, 0.0f, dq + width, ld,
                         hd, H, stream);
  }
}

}  // namespace

void attention_forward(const AttentionShape& s, const float* qkv, const uint8_t* key_valid,
                       float* probs, float* out, AttentionBf16Scratch* bf16, cudaStream_t stream) {
  if (s.batch * s.heads * s.seq == 0) return;
  if (bf16)
    forward_on(s, qkv, key_valid, probs, out, Bf16Operands{*bf16, stream}, stream);
  else
    forward_on(s, qkv, key_valid, probs, out, Fp32Operands{}, stream);
}

void attention_backward(const AttentionShape& s, const float* qkv, const float* probs,
                        const float* dout, float* dqkv, float* scratch, AttentionBf16Scratch* bf16,
                        cudaStream_t stream) {
  if (s.batch * s.heads * s.seq == 0) return;
  if (bf16)
    backward_on(s, qkv, probs, dout, dqkv, scratch, Bf16Operands{*bf16, stream}, stream);
  else
    backward_on(s, qkv, probs, dout, dqkv, scratch, Fp32Operands{}, stream);
}

}  // namespace paramoe::cuda
