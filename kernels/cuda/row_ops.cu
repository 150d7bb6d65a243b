#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernel_util.cuh"
#include "kernels/cuda/row_ops.h"

namespace paramoe::cuda {
namespace {

// Row kernels: blockIdx.x walks rows (grid-stride), threads walk the row's columns.
constexpr int kRowThreads = 256;

unsigned row_grid(int64_t rows) {
  return static_cast<unsigned>(std::min<int64_t>(std::max<int64_t>(rows, 1), 65535 * 4));
}

template <class T>
__global__ void gather_kernel(const T* src, const int32_t* index, int64_t n, int64_t len, T* dst) {
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x)
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x)
      dst[i * len + j] = src[index[i] * len + j];
}

template <class T>
__global__ void scatter_kernel(const T* src, const int32_t* index, int64_t n, int64_t len, T* dst) {
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x)
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x)
      dst[index[i] * len + j] = src[i * len + j];
}

__global__ void scatter_add_kernel(const float* src, const int32_t* index, int64_t n, int64_t len,
                                   float* dst) {
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x)
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x)
      atomicAdd(dst + index[i] * len + j, src[i * len + j]);
}

// One token per block row: no two blocks write the same output row, so no atomics
// and a fixed summation order (choices in order, as on the CPU).
template <class T>
__global__ void combine_kernel(const T* rows, const int32_t* pos, const float* weight,
                               int64_t tokens, int k, int64_t len, T* y) {
  for (int64_t t = blockIdx.x; t < tokens; t += gridDim.x)
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
      float acc = detail::load(y + t * len + i);
      for (int j = 0; j < k; ++j) {
        const int32_t p = pos[t * k + j];
        if (p >= 0) acc += weight[t * k + j] * detail::load(rows + p * len + i);
      }
      detail::store(y + t * len + i, acc);
    }
}

template <class T>
__global__ void combine_backward_kernel(const T* dy, const T* rows, const int32_t* pos,
                                        const float* weight, int64_t tokens, int k, int64_t len,
                                        T* drows, float* dweight) {
  __shared__ float scratch[32];
  for (int64_t t = blockIdx.x; t < tokens; t += gridDim.x)
    for (int j = 0; j < k; ++j) {
      const int64_t a = t * k + j;
      const int32_t p = pos[a];
      if (p < 0) {  // uniform over the block: no thread reaches block_sum
        if (threadIdx.x == 0) dweight[a] = 0.0f;
        continue;
      }
      const float w = weight[a];
      float dot = 0.0f;
      for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
        const float d = detail::load(dy + t * len + i);
        detail::store(drows + p * len + i, w * d);
        dot += d * detail::load(rows + p * len + i);
      }
      dot = detail::block_sum(dot, scratch);
      if (threadIdx.x == 0) dweight[a] = dot;
    }
}

}  // namespace

#define PARAMOE_ROW_LAUNCH(kernel, rows, ...)                                        \
  do {                                                                               \
    if ((rows) > 0) kernel<<<row_grid(rows), kRowThreads, 0, stream>>>(__VA_ARGS__); \
    PARAMOE_CUDA_LAUNCHED();                                                         \
  } while (0)

void gather_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len, float* dst,
                 cudaStream_t stream) {
  PARAMOE_ROW_LAUNCH(gather_kernel, n, src, index, n, row_len, dst);
}
void gather_rows(const bf16* src, const int32_t* index, int64_t n, int64_t row_len, bf16* dst,
                 cudaStream_t stream) {
  PARAMOE_ROW_LAUNCH(gather_kernel, n, src, index, n, row_len, dst);
}
void scatter_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len, float* dst,
                  cudaStream_t stream) {
  PARAMOE_ROW_LAUNCH(scatter_kernel, n, src, index, n, row_len, dst);
}
void scatter_rows(const bf16* src, const int32_t* index, int64_t n, int64_t row_len, bf16* dst,
                  cudaStream_t stream) {
  PARAMOE_ROW_LAUNCH(scatter_kernel, n, src, index, n, row_len, dst);
}
void scatter_add_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len,
                      float* dst, cudaStream_t stream) {
  PARAMOE_ROW_LAUNCH(scatter_add_kernel, n, src, index, n, row_len, dst);
}
void combine_rows(const float* rows, const int32_t* pos, const float* weight, int64_t tokens, int k,
                  int64_t row_len, float* y, cudaStream_t stream) {
  PARAMOE_ROW_LAUNCH(combine_kernel, tokens, rows, pos, weight, tokens, k, row_len, y);
}
void combine_rows(const bf16* rows, const int32_t* pos, const float* weight, int64_t tokens, int k,
                  int64_t row_len, bf16* y, cudaStream_t stream) {
  PARAMOE_ROW_LAUNCH(combine_kernel, tokens, rows, pos, weight, tokens, k, row_len, y);
}
void combine_rows_backward(const float* dy, const float* rows, const int32_t* pos,
                           const float* weight, int64_t tokens, int k, int64_t row_len,
                           float* drows, float* dweight, cudaStream_t stream) {
  PARAMOE_ROW_LAUNCH(combine_backward_kernel, tokens, dy, rows, pos, weight, tokens, k, row_len,
                     drows, dweight);
}
void combine_rows_backward(const bf16* dy, const bf16* rows, const int32_t* pos,
                           const float* weight, int64_t tokens, int k, int64_t row_len, bf16* drows,
                           float* dweight, cudaStream_t stream) {
  PARAMOE_ROW_LAUNCH(combine_backward_kernel, tokens, dy, rows, pos, weight, tokens, k, row_len,
                     drows, dweight);
}

#undef PARAMOE_ROW_LAUNCH

}  // namespace paramoe::cuda
