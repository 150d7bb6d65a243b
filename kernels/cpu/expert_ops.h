#pragma once
// HEXA-MoE's expert-specific operators on rows grouped by expert. Rows of expert e
// are the contiguous range [offsets[e], offsets[e+1]); there is no padding to a
// capacity and no [E, C] buffer. Each expert's group is one OpenBLAS call.
#include <cstdint>

namespace paramoe::cpu {

// ESMM: y[i] = x[i] · op(W_e) (+ b_e), e the expert of row i.
// W is [E, k, n] (trans_w = false) or [E, n, k] (trans_w = true, for input gradients).
// x is [N, k], y is [N, n]. If accumulate, y += instead of y =.
void esmm(const float* x, const float* w, const float* bias, const int64_t* offsets,
          int64_t num_experts, int64_t k, int64_t n, bool trans_w, bool accumulate, float* y);

// ESTMM: dW_e (+)= Σ_{i in e} a[i]ᵀ · b[i]; a [N, k], b [N, n], dW [E, k, n].
void estmm(const float* a, const float* b, const int64_t* offsets, int64_t num_experts, int64_t k,
           int64_t n, bool accumulate, float* dw);

// ESS: db_e (+)= Σ_{i in e} x[i]; x [N, n], db [E, n].
void ess(const float* x, const int64_t* offsets, int64_t num_experts, int64_t n, bool accumulate,
         float* db);

}  // namespace paramoe::cpu
