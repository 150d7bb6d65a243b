#pragma once
// Row movement on the GPU, the mirror of kernels/cpu/row_ops.h.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/bf16.h"

namespace paramoe::cuda {

void gather_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len, float* dst,
                 cudaStream_t stream = nullptr);
void gather_rows(const bf16* src, const int32_t* index, int64_t n, int64_t row_len, bf16* dst,
                 cudaStream_t stream = nullptr);
void scatter_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len, float* dst,
                  cudaStream_t stream = nullptr);
void scatter_rows(const bf16* src, const int32_t* index, int64_t n, int64_t row_len, bf16* dst,
                  cudaStream_t stream = nullptr);
// Atomic adds: the sum is exact up to fp32 rounding order.
void scatter_add_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len,
                      float* dst, cudaStream_t stream = nullptr);

void combine_rows(const float* rows, const int32_t* pos, const float* weight, int64_t tokens, int k,
                  int64_t row_len, float* y, cudaStream_t stream = nullptr);
void combine_rows(const bf16* rows, const int32_t* pos, const float* weight, int64_t tokens, int k,
                  int64_t row_len, bf16* y, cudaStream_t stream = nullptr);
void combine_rows_backward(const float* dy, const float* rows, const int32_t* pos,
                           const float* weight, int64_t tokens, int k, int64_t row_len,
                           float* drows, float* dweight, cudaStream_t stream = nullptr);
void combine_rows_backward(const bf16* dy, const bf16* rows, const int32_t* pos,
                           const float* weight, int64_t tokens, int k, int64_t row_len, bf16* drows,
                           float* dweight, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
