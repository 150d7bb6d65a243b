#include "kernels/cpu/bias.h"

namespace paramoe::cpu {

void bias_add(const float* bias, int64_t n, int64_t dim, float* y) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < dim; ++j) y[i * dim + j] += bias[j];
}

void bias_backward(const float* dy, int64_t n, int64_t dim, float* dbias) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < dim; ++j) dbias[j] += dy[i * dim + j];
}

}  // namespace paramoe::cpu
