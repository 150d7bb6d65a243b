#pragma once
// Row-wise router math on the GPU, the mirror of kernels/cpu/router_ops.h.
#include <cuda_runtime.h>

#include <cstdint>

namespace paramoe::cuda {

void softmax_lse_forward(const float* logits, int64_t rows, int64_t cols, float* probs, float* lse,
                         cudaStream_t stream = nullptr);
// Descending; ties go to the lower index.
void topk_rows(const float* x, int64_t rows, int64_t cols, int64_t k, int32_t* idx, float* val,
               cudaStream_t stream = nullptr);
void softmax_backward(const float* probs, const float* dprobs, int64_t rows, int64_t cols,
                      float* dlogits, cudaStream_t stream = nullptr);

void topk_renormalize(const float* val, int64_t rows, int k, float* weight,
                      cudaStream_t stream = nullptr);
void router_dprobs(const float* dweight, const int32_t* expert, const float* topk_prob,
                   const float* weight, int64_t rows, int64_t cols, int k, bool renormalize,
                   const float* aux_grad, float* dprobs, cudaStream_t stream = nullptr);
void zloss_backward(const float* probs, const float* lse, int64_t rows, int64_t cols, float scale,
                    float* dlogits, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
