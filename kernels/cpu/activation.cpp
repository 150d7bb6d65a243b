#include "kernels/cpu/activation.h"

#include <cstdint>
#include <cstring>

namespace paramoe::cpu {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// exp and erf in plain float arithmetic, so that the loops below vectorise: libm's
// erff and expf are calls, one value at a time, and took 17% of a CPU layer's
// samples at D 512, H 2048 (perf/results/profile_layer_A_before.csv).
//
// exp: Cephes' expf. x = n·ln2 + r with n rounded to nearest (by adding and
// taking away 1.5·2^23), a degree-6 polynomial in r, and 2^n put in the exponent
// bits. Within 1.4 ulp of exp on [-87.3, 88.4] (checked against double); the
// input is clamped there, so tails give 2^-126 or FLT_MAX instead of 0 or inf.
inline float exp_fast(float x) {
  x = x < -87.3365478515625f ? -87.3365478515625f : x;  // value selects, so the loops
  x = x > 88.3762626647949f ? 88.3762626647949f : x;    // stay branch-free

  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// erf: the rational approximation x·P(x²)/Q(x²) of Eigen and XLA, on x clamped to
// [-4, 4] (beyond, erf is ±1 in float). Within 4.2e-7 of erf everywhere (3.5 ulp
// at 1) and within 4.2e-7 relative near 0, so GELU = x·(1 + erf)/2 keeps about
// fp32 precision; in the far negative tail, where 1 + erf cancels, neither this
// nor libm's erff gives the cdf to more than a few digits.
inline float erf_fast(float a) {
  float x = a < -4.0f ? -4.0f : a;
  x = x > 4.0f ? 4.0f : x;
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return x * p / q;
}

inline float sigmoid(float x) {
  return 1.0f / (1.0f + exp_fast(-x));
}
}  // namespace

// Each loop is compiled for AVX-512, AVX2 and the baseline, and the loader picks
// the widest the CPU has (GCC function multiversioning): 16 lanes where the
// portable build would use SSE2's 4.
#define PARAMOE_WIDEST __attribute__((target_clones("avx512f", "avx2", "default")))

PARAMOE_WIDEST void gelu_forward(const float* a, int64_t n, float* h) {
  for (int64_t i = 0; i < n; ++i) h[i] = 0.5f * a[i] * (1.0f + erf_fast(a[i] * kInvSqrt2));
}

PARAMOE_WIDEST void gelu_backward(const float* a, const float* dh, int64_t n, float* da) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = a[i];
    const float cdf = 0.5f * (1.0f + erf_fast(x * kInvSqrt2));
    const float pdf = kInvSqrt2Pi * exp_fast(-0.5f * x * x);
    da[i] = dh[i] * (cdf + x * pdf);
  }
}

PARAMOE_WIDEST void swiglu_forward(const float* a, const float* g, int64_t n, float* h) {
  for (int64_t i = 0; i < n; ++i) h[i] = a[i] * sigmoid(a[i]) * g[i];
}

PARAMOE_WIDEST void swiglu_backward(const float* a, const float* g, const float* dh, int64_t n,
                                    float* da, float* dg) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = sigmoid(a[i]);
    const float silu = a[i] * s;
    dg[i] = dh[i] * silu;
    da[i] = dh[i] * g[i] * (s * (1.0f + a[i] * (1.0f - s)));
  }
}

}  // namespace paramoe::cpu
