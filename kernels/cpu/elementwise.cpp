#include "kernels/cpu/elementwise.h"

namespace paramoe::cpu {

void accumulate(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace paramoe::cpu
