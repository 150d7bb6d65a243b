#include "kernels/cpu/adamw_update.h"

#include <cmath>

namespace paramoe::cpu {

void adamw_update(float* value, const float* grad, float* m, float* v, int64_t n,
                  const AdamWStep& s) {
  for (int64_t j = 0; j < n; ++j) {
    const float g = grad[j];
    m[j] = s.b1 * m[j] + (1.0f - s.b1) * g;
    v[j] = s.b2 * v[j] + (1.0f - s.b2) * g * g;
    const float denom = std::sqrt(v[j] * s.inv_bc2) + s.eps;
    value[j] -= s.step * m[j] / denom + s.decay * value[j];
  }
}

}  // namespace paramoe::cpu
