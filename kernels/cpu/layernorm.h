#pragma once
// LayerNorm over the last dimension: y = (x − mean) · rstd · gamma + beta.
#include <cstdint>

namespace paramoe::cpu {

void layernorm_forward(const float* x, const float* gamma, const float* beta, int64_t rows,
                       int64_t dim, float eps, float* y, float* mean, float* rstd);

// dx = ..., dgamma += ..., dbeta += ... (parameter gradients accumulate).
void layernorm_backward(const float* x, const float* gamma, const float* mean, const float* rstd,
                        const float* dy, int64_t rows, int64_t dim, float* dx, float* dgamma,
                        float* dbeta);

}  // namespace paramoe::cpu
