#include "kernels/cpu/expert_ops.h"

#include <algorithm>

#include "kernels/cpu/gemm.h"

namespace paramoe::cpu {

void esmm(const float* x, const float* w, const float* bias, const int64_t* offsets,
          int64_t num_experts, int64_t k, int64_t n, bool trans_w, bool accumulate, float* y) {
  for (int64_t e = 0; e < num_experts; ++e) {
    const int64_t r0 = offsets[e], rows = offsets[e + 1] - offsets[e];
    if (rows == 0) continue;
    float* ye = y + r0 * n;
    const float* we = w + e * k * n;
    float beta = accumulate ? 1.0f : 0.0f;
    // y starts as (y +) bias. Written, not scaled by zero: y may be scratch that was
    // never written (0·NaN is NaN), as the CUDA kernel has it too.
    if (bias) {
      const float* be = bias + e * n;
      for (int64_t i = 0; i < rows; ++i)
        if (accumulate)
          for (int64_t j = 0; j < n; ++j) ye[i * n + j] += be[j];
        else
          std::copy_n(be, n, ye + i * n);
      beta = 1.0f;
    }
    gemm(false, trans_w, rows, n, k, 1.0f, x + r0 * k, k, we, trans_w ? k : n, beta, ye, n);
  }
}

void estmm(const float* a, const float* b, const int64_t* offsets, int64_t num_experts, int64_t k,
           int64_t n, bool accumulate, float* dw) {
  for (int64_t e = 0; e < num_experts; ++e) {
    const int64_t r0 = offsets[e], rows = offsets[e + 1] - offsets[e];
    float* dwe = dw + e * k * n;
    if (rows == 0) {
      if (!accumulate) std::fill(dwe, dwe + k * n, 0.0f);
      continue;
    }
    gemm(true, false, k, n, rows, 1.0f, a + r0 * k, k, b + r0 * n, n, accumulate ? 1.0f : 0.0f, dwe,
         n);
  }
}

void ess(const float* x, const int64_t* offsets, int64_t num_experts, int64_t n, bool accumulate,
         float* db) {
  for (int64_t e = 0; e < num_experts; ++e) {
    float* dbe = db + e * n;
    if (!accumulate) std::fill(dbe, dbe + n, 0.0f);
    for (int64_t i = offsets[e]; i < offsets[e + 1]; ++i)
      for (int64_t j = 0; j < n; ++j) dbe[j] += x[i * n + j];
  }
}

}  // namespace paramoe::cpu
