#include "kernels/cpu/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace paramoe::cpu {

void ce_row_max(const float* logits, int64_t n, int64_t V, float* row_max) {
  for (int64_t i = 0; i < n; ++i) {
    const float* l = logits + i * V;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < V; ++j) mx = std::max(mx, l[j]);
    row_max[i] = mx;
  }
}

void ce_sum_exp_and_target(const float* logits, int64_t n, int64_t V, int64_t v0,
                           const int32_t* targets, const float* row_max, float* sum_exp,
                           float* target_logit) {
  for (int64_t i = 0; i < n; ++i) {
    const float* l = logits + i * V;
    float s = 0.0f;
    for (int64_t j = 0; j < V; ++j) s += std::exp(l[j] - row_max[i]);
    sum_exp[i] = s;
    const int64_t t = static_cast<int64_t>(targets[i]) - v0;
    target_logit[i] = (targets[i] >= 0 && t >= 0 && t < V) ? l[t] : 0.0f;
  }
}

void ce_backward(const float* logits, int64_t n, int64_t V, int64_t v0, const int32_t* targets,
                 const float* row_max, const float* sum_exp, float scale, float* dlogits) {
  for (int64_t i = 0; i < n; ++i) {
    const float* l = logits + i * V;
    float* d = dlogits + i * V;
    const float w = scale;
    if (targets[i] < 0) {
      std::fill_n(d, V, 0.0f);
      continue;
    }
    const float inv = w / sum_exp[i];
    for (int64_t j = 0; j < V; ++j) d[j] = std::exp(l[j] - row_max[i]) * inv;
    const int64_t t = static_cast<int64_t>(targets[i]) - v0;
    if (t >= 0 && t < V) d[t] -= w;
  }
}

}  // namespace paramoe::cpu
