#include "kernels/cpu/embedding.h"

#include <algorithm>

namespace paramoe::cpu {

void embedding_forward(const int32_t* ids, int64_t n, const float* table, int64_t v0, int64_t rows,
                       int64_t dim, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = ids[i] - v0;
    float* o = out + i * dim;
    if (r >= 0 && r < rows)
      std::copy_n(table + r * dim, dim, o);
    else
      std::fill_n(o, dim, 0.0f);
  }
}

void embedding_backward(const int32_t* ids, int64_t n, const float* dout, int64_t v0, int64_t rows,
                        int64_t dim, float* dtable) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = ids[i] - v0;
    if (r < 0 || r >= rows) continue;
    const float* g = dout + i * dim;
    float* d = dtable + r * dim;
    for (int64_t j = 0; j < dim; ++j) d[j] += g[j];
  }
}

}  // namespace paramoe::cpu
