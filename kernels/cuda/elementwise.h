#pragma once
// Elementwise arithmetic on the GPU, the mirror of kernels/cpu/elementwise.h.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/bf16.h"

namespace paramoe::cuda {

void accumulate(const float* x, int64_t n, float* y, cudaStream_t stream = nullptr);
// y += x with x in bf16: bf16 results (outputs, gradients) summed into fp32.
void accumulate(const bf16* x, int64_t n, float* y, cudaStream_t stream = nullptr);
void scale(float* x, int64_t n, float a, cudaStream_t stream = nullptr);
// *result (device memory) = Σ x[i]² in double. Deterministic: a fixed grid sums
// fixed strided subsets, and one block adds the partial sums in order, so the same
// gradients give the same norm (and the same clipping) on every run. The order
// differs from the CPU's, so the two agree to rounding, not bit for bit.
void sum_squares(const float* x, int64_t n, double* result, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
