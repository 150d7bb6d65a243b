#include "kernels/cpu/activation.h"

#include <cmath>

namespace paramoe::cpu {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
inline float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}
}  // namespace

void gelu_forward(const float* a, int64_t n, float* h) {
  for (int64_t i = 0; i < n; ++i) h[i] = 0.5f * a[i] * (1.0f + std::erf(a[i] * kInvSqrt2));
}

void gelu_backward(const float* a, const float* dh, int64_t n, float* da) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = a[i];
    const float cdf = 0.5f * (1.0f + std::erf(x * kInvSqrt2));
    const float pdf = kInvSqrt2Pi * std::exp(-0.5f * x * x);
    da[i] = dh[i] * (cdf + x * pdf);
  }
}

void swiglu_forward(const float* a, const float* g, int64_t n, float* h) {
  for (int64_t i = 0; i < n; ++i) h[i] = a[i] * sigmoid(a[i]) * g[i];
}

void swiglu_backward(const float* a, const float* g, const float* dh, int64_t n, float* da,
                     float* dg) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = sigmoid(a[i]);
    const float silu = a[i] * s;
    dg[i] = dh[i] * silu;
    da[i] = dh[i] * g[i] * (s * (1.0f + a[i] * (1.0f - s)));
  }
}

}  // namespace paramoe::cpu
