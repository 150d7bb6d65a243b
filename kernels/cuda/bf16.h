#pragma once
// bf16 storage with fp32 arithmetic: the GPU's training precision. Casts between
// the two for weights (fp32 masters → bf16 copies) and for test inputs.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/device_buffer.h"

namespace paramoe::cuda {

using bf16 = __nv_bfloat16;

void cast(const float* x, int64_t n, bf16* y, cudaStream_t stream = nullptr);
void cast(const bf16* x, int64_t n, float* y, cudaStream_t stream = nullptr);

// A bf16 copy of the n floats at x, made in `to` (grown to fit, so scratch that is
// reused call after call): a GEMM's operand in bf16 mode. Queued on `stream`.
const bf16* cast_into(const float* x, int64_t n, DeviceBuffer<bf16>& to,
                      cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
