#pragma once
// Multi-head self-attention on the GPU, the mirror of kernels/cpu/attention.h: the
// same qkv layout, masks and saved probabilities (device pointers), on one
// strided-batched cuBLAS GEMM per (sequence, product) over the heads and one block
// per score row for the softmax.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cpu/attention.h"

namespace paramoe::cuda {

using cpu::AttentionShape;

void attention_forward(const AttentionShape& s, const float* qkv, const uint8_t* key_valid,
                       float* probs, float* out, cudaStream_t stream = nullptr);
void attention_backward(const AttentionShape& s, const float* qkv, const float* probs,
                        const float* dout, float* dqkv, float* scratch,
                        cudaStream_t stream = nullptr);
// scratch: heads·seq·seq floats of device memory, one sequence's dP at a time.

}  // namespace paramoe::cuda
