#pragma once
// HEXA-MoE's expert-specific operators on the GPU, the mirror of
// kernels/cpu/expert_ops.h: rows grouped by expert, no capacity padding.
// Pointers are device pointers except `offsets` [num_experts + 1], which is on the
// host: the group sizes are the GEMM shapes cuBLAS is launched with (the layer has
// them on the host anyway, from the counts exchange).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/bf16.h"

namespace paramoe::cuda {

// How the per-expert GEMMs are launched: one cublasGemmEx per non-empty expert in
// order on the caller's stream; the same calls spread over side streams, so that
// small experts that each fill a fraction of the GPU run side by side; or all of
// them in one cublasGemmGroupedBatchedEx call.
enum class ExpertGemm { per_expert, streams, grouped };

void esmm(const float* x, const float* w, const float* bias, const int64_t* offsets,
          int64_t num_experts, int64_t k, int64_t n, bool trans_w, bool accumulate, float* y,
          cudaStream_t stream = nullptr, ExpertGemm how = ExpertGemm::per_expert);
void esmm(const bf16* x, const bf16* w, const bf16* bias, const int64_t* offsets,
          int64_t num_experts, int64_t k, int64_t n, bool trans_w, bool accumulate, bf16* y,
          cudaStream_t stream = nullptr, ExpertGemm how = ExpertGemm::per_expert);

void estmm(const float* a, const float* b, const int64_t* offsets, int64_t num_experts, int64_t k,
           int64_t n, bool accumulate, float* dw, cudaStream_t stream = nullptr,
           ExpertGemm how = ExpertGemm::per_expert);
void estmm(const bf16* a, const bf16* b, const int64_t* offsets, int64_t num_experts, int64_t k,
           int64_t n, bool accumulate, bf16* dw, cudaStream_t stream = nullptr,
           ExpertGemm how = ExpertGemm::per_expert);

void ess(const float* x, const int64_t* offsets, int64_t num_experts, int64_t n, bool accumulate,
         float* db, cudaStream_t stream = nullptr);
void ess(const bf16* x, const int64_t* offsets, int64_t num_experts, int64_t n, bool accumulate,
         bf16* db, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
