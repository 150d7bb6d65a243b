#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gemm.h"

namespace paramoe::cuda {
namespace {

// A row-major C = op(A)·op(B) is the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the
// operands and the shapes, keep the leading dimensions.
template <class In, class Out>
void gemm_ex(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const In* a,
             int64_t lda, const In* b, int64_t ldb, float beta, Out* c, int64_t ldc,
             cudaDataType_t in_type, cudaDataType_t out_type, cudaStream_t stream) {
  if (m == 0 || n == 0) return;
  PARAMOE_CUBLAS_CHECK(cublasGemmEx(
      blas_handle(stream), tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
      static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, b, in_type,
      static_cast<int>(ldb), a, in_type, static_cast<int>(lda), &beta, c, out_type,
      static_cast<int>(ldc), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

template <class In>
void gemm_strided_batched_ex(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                             const In* a, int64_t lda, int64_t stride_a, const In* b, int64_t ldb,
                             int64_t stride_b, float beta, float* c, int64_t ldc, int64_t stride_c,
                             int64_t batch, cudaDataType_t in_type, cudaStream_t stream) {
  if (m == 0 || n == 0 || batch == 0) return;
  // Operands swapped as in gemm_ex, and with them their strides.
  PARAMOE_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      blas_handle(stream), tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
      static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, b, in_type,
      static_cast<int>(ldb), stride_b, a, in_type, static_cast<int>(lda), stride_a, &beta, c,
      CUDA_R_32F, static_cast<int>(ldc), stride_c, static_cast<int>(batch), CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT));
}

}  // namespace

void gemm_strided_batched(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, int64_t stride_a, const float* b,
                          int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc,
                          int64_t stride_c, int64_t batch, cudaStream_t stream) {
  gemm_strided_batched_ex(ta, tb, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc,
                          stride_c, batch, CUDA_R_32F, stream);
}

void gemm_strided_batched(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                          const bf16* a, int64_t lda, int64_t stride_a, const bf16* b, int64_t ldb,
                          int64_t stride_b, float beta, float* c, int64_t ldc, int64_t stride_c,
                          int64_t batch, cudaStream_t stream) {
  gemm_strided_batched_ex(ta, tb, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc,
                          stride_c, batch, CUDA_R_16BF, stream);
}

cublasHandle_t blas_handle(cudaStream_t stream) {
  // One handle per host thread (cuBLAS handles are not thread-safe), made on first
  // use and kept for the process: creating one costs milliseconds.
  thread_local cublasHandle_t handle = [] {
    cublasHandle_t h = nullptr;
    PARAMOE_CUBLAS_CHECK(cublasCreate(&h));
    PARAMOE_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
    return h;
  }();
  PARAMOE_CUBLAS_CHECK(cublasSetStream(handle, stream));
  return handle;
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
          cudaStream_t stream) {
  gemm_ex(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, CUDA_R_32F, CUDA_R_32F, stream);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const bf16* a,
          int64_t lda, const bf16* b, int64_t ldb, float beta, bf16* c, int64_t ldc,
          cudaStream_t stream) {
  gemm_ex(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, CUDA_R_16BF, CUDA_R_16BF, stream);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const bf16* a,
          int64_t lda, const bf16* b, int64_t ldb, float beta, float* c, int64_t ldc,
          cudaStream_t stream) {
  gemm_ex(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, CUDA_R_16BF, CUDA_R_32F, stream);
}

}  // namespace paramoe::cuda
