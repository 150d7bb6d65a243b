#pragma once
// Elementwise arithmetic on the GPU, the mirror of kernels/cpu/elementwise.h.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/bf16.h"

namespace paramoe::cuda {

void accumulate(const float* x, int64_t n, float* y, cudaStream_t stream = nullptr);
// y += x with x in bf16: bf16 results (outputs, gradients) summed into fp32.
void accumulate(const bf16* x, int64_t n, float* y, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
