#pragma once
// Expert activations on the GPU, the mirror of kernels/cpu/activation.h
// (fp32 arithmetic for both storage types).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/bf16.h"

namespace paramoe::cuda {

void gelu_forward(const float* a, int64_t n, float* h, cudaStream_t stream = nullptr);
void gelu_forward(const bf16* a, int64_t n, bf16* h, cudaStream_t stream = nullptr);
void gelu_backward(const float* a, const float* dh, int64_t n, float* da,
                   cudaStream_t stream = nullptr);
void gelu_backward(const bf16* a, const bf16* dh, int64_t n, bf16* da,
                   cudaStream_t stream = nullptr);

void swiglu_forward(const float* a, const float* g, int64_t n, float* h,
                    cudaStream_t stream = nullptr);
void swiglu_forward(const bf16* a, const bf16* g, int64_t n, bf16* h,
                    cudaStream_t stream = nullptr);
void swiglu_backward(const float* a, const float* g, const float* dh, int64_t n, float* da,
                     float* dg, cudaStream_t stream = nullptr);
void swiglu_backward(const bf16* a, const bf16* g, const bf16* dh, int64_t n, bf16* da, bf16* dg,
                     cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
