#include "kernels/cpu/elementwise.h"

namespace paramoe::cpu {

void accumulate(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void scale(float* x, int64_t n, float a) {
  for (int64_t i = 0; i < n; ++i) x[i] *= a;
}

void sum_squares(const float* x, int64_t n, double* result) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  *result = s;
}

}  // namespace paramoe::cpu
