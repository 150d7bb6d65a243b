#pragma once
// LayerNorm on the GPU, the mirror of kernels/cpu/layernorm.h.
#include <cuda_runtime.h>

#include <cstdint>

namespace paramoe::cuda {

void layernorm_forward(const float* x, const float* gamma, const float* beta, int64_t rows,
                       int64_t dim, float eps, float* y, float* mean, float* rstd,
                       cudaStream_t stream = nullptr);
// dgamma and dbeta accumulate, as on the CPU.
void layernorm_backward(const float* x, const float* gamma, const float* mean, const float* rstd,
                        const float* dy, int64_t rows, int64_t dim, float* dx, float* dgamma,
                        float* dbeta, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
