#pragma once
// Elementwise arithmetic on flat arrays.
#include <cstdint>

namespace paramoe::cpu {

// y[i] += x[i] for i < n: gradient accumulation.
void accumulate(const float* x, int64_t n, float* y);
// x[i] *= a for i < n: gradient clipping.
void scale(float* x, int64_t n, float a);
// *result = Σ x[i]², accumulated in double (the gradient norm of a tensor with
// millions of elements keeps its digits), in index order.
void sum_squares(const float* x, int64_t n, double* result);

}  // namespace paramoe::cpu
