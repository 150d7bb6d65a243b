#pragma once
// Bias of a linear layer on the GPU, the mirror of kernels/cpu/bias.h.
#include <cuda_runtime.h>

#include <cstdint>

namespace paramoe::cuda {

void bias_add(const float* bias, int64_t n, int64_t dim, float* y, cudaStream_t stream = nullptr);
// dbias += Σ_i dy[i]: one block per column, a fixed summation order.
void bias_backward(const float* dy, int64_t n, int64_t dim, float* dbias,
                   cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
