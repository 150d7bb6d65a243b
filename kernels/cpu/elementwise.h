#pragma once
// Elementwise arithmetic on flat arrays.
#include <cstdint>

namespace paramoe::cpu {

// y[i] += x[i] for i < n: gradient accumulation.
void accumulate(const float* x, int64_t n, float* y);

}  // namespace paramoe::cpu
