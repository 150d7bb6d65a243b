#pragma once
// Multi-head self-attention on the GPU, the mirror of kernels/cpu/attention.h: the
// same qkv layout, masks and saved probabilities (device pointers), on one
// strided-batched cuBLAS GEMM per (sequence, product) over the heads and one block
// per score row for the softmax.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cpu/attention.h"
#include "kernels/cuda/bf16.h"
#include "kernels/cuda/device_buffer.h"

namespace paramoe::cuda {

using cpu::AttentionShape;

// bf16 GEMM inputs with fp32 accumulation (device.precision = "bf16"): the four
// products read bf16 copies of their operands, cast into these buffers (grown to
// fit): qkv and dout once per call, one sequence's probabilities and dS once per
// product. Scores, probabilities, softmax and its backward, outputs and gradients
// stay fp32. Passing none runs fp32 throughout (the tests' mode).
struct AttentionBf16Scratch {
  DeviceBuffer<bf16> qkv, dout, probs, dscores;
};

void attention_forward(const AttentionShape& s, const float* qkv, const uint8_t* key_valid,
                       float* probs, float* out, AttentionBf16Scratch* bf16 = nullptr,
                       cudaStream_t stream = nullptr);
void attention_backward(const AttentionShape& s, const float* qkv, const float* probs,
                        const float* dout, float* dqkv, float* scratch,
                        AttentionBf16Scratch* bf16 = nullptr, cudaStream_t stream = nullptr);
// scratch: heads·seq·seq floats of device memory, one sequence's dP at a time.

}  // namespace paramoe::cuda
