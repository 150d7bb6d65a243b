#pragma once
// Row-major GEMM on cuBLAS, the mirror of kernels/cpu/gemm.h: C = alpha·op(A)·op(B)
// + beta·C, op(A) [m, k], op(B) [k, n], C [m, n]; leading dimensions of the stored
// matrices. fp32 runs true fp32 (no TF32, so that tests compare against the CPU);
// bf16 stores bf16 and accumulates in fp32.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/bf16.h"

namespace paramoe::cuda {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
          cudaStream_t stream = nullptr);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const bf16* a,
          int64_t lda, const bf16* b, int64_t ldb, float beta, bf16* c, int64_t ldc,
          cudaStream_t stream = nullptr);

// bf16 inputs, fp32 C: the dense layers' bf16 mode (device.precision = "bf16"),
// where activations and gradients stay fp32 and only the GEMMs' operands are
// rounded; products are exact in fp32 and summed in fp32.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const bf16* a,
          int64_t lda, const bf16* b, int64_t ldb, float beta, float* c, int64_t ldc,
          cudaStream_t stream = nullptr);

// Attention's heads: cublasGemmStridedBatchedEx, true fp32, or bf16 inputs with
// fp32 C as above.
void gemm_strided_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, int64_t stride_a, const float* b,
                          int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc,
                          int64_t stride_c, int64_t batch, cudaStream_t stream = nullptr);
void gemm_strided_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const bf16* a, int64_t lda, int64_t stride_a, const bf16* b, int64_t ldb,
                          int64_t stride_b, float beta, float* c, int64_t ldc, int64_t stride_c,
                          int64_t batch, cudaStream_t stream = nullptr);

// How many elements a stored operand spans: op(X) is rows × cols, X is stored
// row-major with leading dimension ld (so transposed, X holds cols rows of ld).
// What a cast of the operand into another precision must cover.
inline int64_t stored_extent(bool trans, int64_t rows, int64_t cols, int64_t ld) {
  const int64_t stored_rows = trans ? cols : rows, stored_cols = trans ? rows : cols;
  return stored_rows == 0 || stored_cols == 0 ? 0 : (stored_rows - 1) * ld + stored_cols;
}

// The calling thread's cuBLAS handle, bound to `stream`.
cublasHandle_t blas_handle(cudaStream_t stream);

}  // namespace paramoe::cuda
