#include "kernels/cpu/row_ops.h"

#include <cstring>

namespace paramoe::cpu {

void gather_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len, float* dst) {
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(dst + i * row_len, src + index[i] * row_len, row_len * sizeof(float));
}

void scatter_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len, float* dst) {
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(dst + index[i] * row_len, src + i * row_len, row_len * sizeof(float));
}

void scatter_add_rows(const float* src, const int32_t* index, int64_t n, int64_t row_len,
                      float* dst) {
  for (int64_t i = 0; i < n; ++i) {
    float* d = dst + index[i] * row_len;
    const float* s = src + i * row_len;
    for (int64_t j = 0; j < row_len; ++j) d[j] += s[j];
  }
}

void combine_rows(const float* rows, const int32_t* pos, const float* weight, int64_t tokens, int k,
                  int64_t row_len, float* y) {
  for (int64_t t = 0; t < tokens; ++t)
    for (int j = 0; j < k; ++j) {
      const int32_t p = pos[t * k + j];
      if (p < 0) continue;
      const float w = weight[t * k + j];
      const float* r = rows + p * row_len;
      for (int64_t i = 0; i < row_len; ++i) y[t * row_len + i] += w * r[i];
    }
}

void combine_rows_backward(const float* dy, const float* rows, const int32_t* pos,
                           const float* weight, int64_t tokens, int k, int64_t row_len,
                           float* drows, float* dweight) {
  for (int64_t t = 0; t < tokens; ++t)
    for (int j = 0; j < k; ++j) {
      const int64_t a = t * k + j;
      const int32_t p = pos[a];
      dweight[a] = 0.0f;
      if (p < 0) continue;
      const float w = weight[a];
      double dot = 0.0;
      for (int64_t i = 0; i < row_len; ++i) {
        drows[p * row_len + i] = w * dy[t * row_len + i];
        dot += static_cast<double>(dy[t * row_len + i]) * rows[p * row_len + i];
      }
      dweight[a] = static_cast<float>(dot);
    }
}

}  // namespace paramoe::cpu
