#pragma once
// Counter-based random fills on the device (the same splitmix64 hashing as
// core/rng.h), so benchmarks and tests make gigabytes of inputs in milliseconds:
// value i depends only on (seed, i).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/bf16.h"

namespace paramoe::cuda {

// Uniform in [−scale, scale): variance scale²/3.
void fill_uniform(float* x, int64_t n, uint64_t seed, float scale, cudaStream_t stream = nullptr);
void fill_uniform(bf16* x, int64_t n, uint64_t seed, float scale, cudaStream_t stream = nullptr);

}  // namespace paramoe::cuda
