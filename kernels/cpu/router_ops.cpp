#include "kernels/cpu/router_ops.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace paramoe::cpu {

void softmax_lse_forward(const float* logits, int64_t rows, int64_t cols, float* probs,
                         float* lse) {
  for (int64_t t = 0; t < rows; ++t) {
    const float* l = logits + t * cols;
    float* p = probs + t * cols;
    float mx = l[0];
    for (int64_t e = 1; e < cols; ++e) mx = std::max(mx, l[e]);
    double sum = 0.0;
    for (int64_t e = 0; e < cols; ++e) {
      p[e] = std::exp(l[e] - mx);
      sum += p[e];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t e = 0; e < cols; ++e) p[e] *= inv;
    lse[t] = mx + static_cast<float>(std::log(sum));
  }
}

void topk_rows(const float* x, int64_t rows, int64_t cols, int64_t k, int32_t* idx, float* val) {
  std::vector<int32_t> order(cols);
  for (int64_t t = 0; t < rows; ++t) {
    const float* r = x + t * cols;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [r](int32_t a, int32_t b) { return r[a] > r[b] || (r[a] == r[b] && a < b); });
    for (int64_t j = 0; j < k; ++j) {
      idx[t * k + j] = order[j];
      val[t * k + j] = r[order[j]];
    }
  }
}

void softmax_backward(const float* probs, const float* dprobs, int64_t rows, int64_t cols,
                      float* dlogits) {
  for (int64_t t = 0; t < rows; ++t) {
    const float* p = probs + t * cols;
    const float* dp = dprobs + t * cols;
    double dot = 0.0;
    for (int64_t e = 0; e < cols; ++e) dot += static_cast<double>(p[e]) * dp[e];
    for (int64_t e = 0; e < cols; ++e)
      dlogits[t * cols + e] = p[e] * (dp[e] - static_cast<float>(dot));
  }
}

void topk_renormalize(const float* val, int64_t rows, int k, float* weight) {
  for (int64_t t = 0; t < rows; ++t) {
    float s = 0.0f;
    for (int j = 0; j < k; ++j) s += val[t * k + j];
    for (int j = 0; j < k; ++j) weight[t * k + j] = val[t * k + j] / s;
  }
}

void router_dprobs(const float* dweight, const int32_t* expert, const float* topk_prob,
                   const float* weight, int64_t rows, int64_t cols, int k, bool renormalize,
                   const float* aux_grad, float* dprobs) {
  for (int64_t t = 0; t < rows; ++t) {
    const float* dw = dweight + t * k;
    float* dp = dprobs + t * cols;
    for (int64_t e = 0; e < cols; ++e) dp[e] = aux_grad[e];
    if (renormalize) {
      float s = 0.0f, dot = 0.0f;
      for (int j = 0; j < k; ++j) {
        s += topk_prob[t * k + j];
        dot += dw[j] * weight[t * k + j];
      }
      for (int j = 0; j < k; ++j) dp[expert[t * k + j]] += (dw[j] - dot) / s;
    } else {
      for (int j = 0; j < k; ++j) dp[expert[t * k + j]] += dw[j];
    }
  }
}

void zloss_backward(const float* probs, const float* lse, int64_t rows, int64_t cols, float scale,
                    float* dlogits) {
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t e = 0; e < cols; ++e)
      dlogits[t * cols + e] += scale * lse[t] * probs[t * cols + e];
}

void choice_counts(const int32_t* expert, int64_t tokens, int k, int num_experts, int32_t* counts) {
  std::fill(counts, counts + k * num_experts, 0);
  for (int64_t t = 0; t < tokens; ++t)
    for (int j = 0; j < k; ++j) ++counts[j * num_experts + expert[t * k + j]];
}

void apply_capacity(const int32_t* expert, int64_t tokens, int k, int num_experts,
                    const int64_t* first, int64_t capacity, uint8_t* kept) {
  std::vector<int64_t> local(num_experts);
  for (int j = 0; j < k; ++j) {
    std::fill(local.begin(), local.end(), int64_t{0});
    for (int64_t t = 0; t < tokens; ++t) {
      const int e = expert[t * k + j];
      kept[t * k + j] = first[j * num_experts + e] + local[e]++ < capacity ? 1 : 0;
    }
  }
}

void router_stats(const float* probs, const float* lse, const int32_t* expert, const uint8_t* kept,
                  int64_t tokens, int k, int num_experts, double* stats) {
  const int E = num_experts;
  std::fill(stats, stats + 2 * E + 3, 0.0);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int j = 0; j < k; ++j) {
      stats[expert[t * k + j]] += 1.0;
      if (!kept[t * k + j]) stats[2 * E + 2] += 1.0;
    }
    for (int e = 0; e < E; ++e) stats[E + e] += probs[t * E + e];
    stats[2 * E + 1] += static_cast<double>(lse[t]) * lse[t];
  }
  stats[2 * E] = static_cast<double>(tokens);
}

}  // namespace paramoe::cpu
