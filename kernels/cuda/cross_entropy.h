#pragma once
// The local pieces of a vocab-parallel cross-entropy on the GPU, the mirror of
// kernels/cpu/cross_entropy.h (one block per row; device pointers).
#include <cuda_runtime.h>

#include <cstdint>

namespace paramoe::cuda {

void ce_row_max(const float* logits, int64_t n, int64_t V, float* row_max,
                cudaStream_t stream = nullptr);
void ce_sum_exp_and_target(const float* logits, int64_t n, int64_t V, int64_t v0,
                           const int32_t* targets, const float* row_max, float* sum_exp,
                           float* target_logit, cudaStream_t stream = nullptr);
void ce_backward(const float* logits, int64_t n, int64_t V, int64_t v0, const int32_t* targets,
                 const float* row_max, const float* sum_exp, float scale, float* dlogits,
                 cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
