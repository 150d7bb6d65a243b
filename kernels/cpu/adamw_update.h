#pragma once
// One AdamW update of n values in fp32 (decoupled weight decay):
//   m = b1·m + (1−b1)·g,  v = b2·v + (1−b2)·g²,
//   value −= step · m / (sqrt(v · inv_bc2) + eps) + decay · value,
// with step = lr / (1 − b1ᵗ), inv_bc2 = 1 / (1 − b2ᵗ), decay = lr · wd (0: no decay).
#include <cstdint>

namespace paramoe::cpu {

struct AdamWStep {
  float b1, b2, eps, step, inv_bc2, decay;
};

void adamw_update(float* value, const float* grad, float* m, float* v, int64_t n,
                  const AdamWStep& s);

}  // namespace paramoe::cpu
