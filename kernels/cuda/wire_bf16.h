#pragma once
// Rows in bf16 on the wire on the GPU, the mirror of kernels/cpu/wire_bf16.h (the
// same layout and rounding, so the bits on the wire match the CPU's).
#include <cuda_runtime.h>

#include <cstdint>

namespace paramoe::cuda {

void pack_bf16_rows(const float* x, int64_t rows, int64_t cols, float* wire,
                    cudaStream_t stream = nullptr);
void unpack_bf16_rows(const float* wire, int64_t rows, int64_t cols, float* y,
                      cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
