#pragma once
// Bias of a linear layer over rows of `dim` values.
#include <cstdint>

namespace paramoe::cpu {

// y[i] += bias for each of the n rows.
void bias_add(const float* bias, int64_t n, int64_t dim, float* y);
// dbias += Σ_i dy[i] (accumulates).
void bias_backward(const float* dy, int64_t n, int64_t dim, float* dbias);

}  // namespace paramoe::cpu
