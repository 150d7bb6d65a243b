#pragma once
// Row-major GEMM on OpenBLAS: C = alpha * op(A) * op(B) + beta * C, with op(A) [m, k],
// op(B) [k, n], C [m, n]. Leading dimensions are those of the stored matrices.
#include <cstdint>

namespace paramoe::cpu {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// `batch` independent GEMMs of one shape, the i-th on a + i·stride_a, b + i·stride_b
// and c + i·stride_c (cuBLAS's strided-batched form): the heads of one sequence's
// attention in one call on the GPU.
void gemm_strided_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, int64_t stride_a, const float* b,
                          int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc,
                          int64_t stride_c, int64_t batch);

// One BLAS thread per MPI rank is the HPC default; OPENBLAS_NUM_THREADS overrides it.
void blas_set_threads_default();
void blas_set_threads(int n);

}  // namespace paramoe::cpu
