#pragma once
// Elementwise arithmetic on the GPU, the mirror of kernels/cpu/elementwise.h.
#include <cuda_runtime.h>

#include <cstdint>

namespace paramoe::cuda {

void accumulate(const float* x, int64_t n, float* y, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
