#pragma once
// AdamW on fp32 master weights on the GPU, the mirror of kernels/cpu/adamw_update.h.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cpu/adamw_update.h"

namespace paramoe::cuda {

using cpu::AdamWStep;

void adamw_update(float* value, const float* grad, float* m, float* v, int64_t n,
                  const AdamWStep& s, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
