#pragma once
// Expert activations, elementwise over n values.
#include <cstdint>

namespace paramoe::cpu {

// Exact (erf) GELU, as torch.nn.functional.gelu(approximate="none").
void gelu_forward(const float* a, int64_t n, float* h);
// da = dh * gelu'(a)
void gelu_backward(const float* a, const float* dh, int64_t n, float* da);

// SwiGLU: h = silu(a) * g.
void swiglu_forward(const float* a, const float* g, int64_t n, float* h);
void swiglu_backward(const float* a, const float* g, const float* dh, int64_t n, float* da,
                     float* dg);

}  // namespace paramoe::cpu
