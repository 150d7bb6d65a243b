#include "kernels/cpu/wire_bf16.h"
#include "kernels/cuda/bf16.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernel_util.cuh"
#include "kernels/cuda/wire_bf16.h"

namespace paramoe::cuda {
namespace {

// One thread per bf16 slot of the wire, pads included (written as zero).
__global__ void pack_kernel(const float* x, int64_t rows, int64_t cols, int64_t slots, bf16* wire) {
  const int64_t n = rows * slots;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / slots, c = i % slots;
    wire[i] = c < cols ? __float2bfloat16(x[r * cols + c]) : __float2bfloat16(0.0f);
  }
}

__global__ void unpack_kernel(const bf16* wire, int64_t rows, int64_t cols, int64_t slots,
                              float* y) {
  const int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / cols, c = i % cols;
    y[i] = __bfloat162float(wire[r * slots + c]);
  }
}

}  // namespace

void pack_bf16_rows(const float* x, int64_t rows, int64_t cols, float* wire, cudaStream_t stream) {
  const int64_t slots = 2 * cpu::wire_bf16_cols(cols);
  if (rows * slots == 0) return;
  pack_kernel<<<detail::grid_for(rows * slots), detail::kThreads, 0, stream>>>(
      x, rows, cols, slots, reinterpret_cast<bf16*>(wire));
  PARAMOE_CUDA_LAUNCHED();
}

void unpack_bf16_rows(const float* wire, int64_t rows, int64_t cols, float* y,
                      cudaStream_t stream) {
  const int64_t slots = 2 * cpu::wire_bf16_cols(cols);
  if (rows * cols == 0) return;
  unpack_kernel<<<detail::grid_for(rows * cols), detail::kThreads, 0, stream>>>(
      reinterpret_cast<const bf16*>(wire), rows, cols, slots, y);
  PARAMOE_CUDA_LAUNCHED();
}

}  // namespace paramoe::cuda
