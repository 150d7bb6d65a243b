#include "kernels/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/gemm.h"

namespace paramoe::cpu {

namespace {

// The one implementation of both forms: bias null for GPT/BERT, key_valid null for Swin.
void forward(const AttentionShape& s, const float* qkv, const uint8_t* key_valid, const float* bias,
             int64_t groups, float* probs, float* out) {
  const int64_t S = s.seq, hd = s.head_dim, width = s.heads * hd, ld = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.heads; ++h) {
      const float* q = qkv + b * S * ld + h * hd;  // keys at +width, values at +2·width
      float* p = probs + (b * s.heads + h) * S * S;
      gemm(false, true, S, S, hd, scale, q, ld, q + width, ld, 0.0f, p, S);
      if (bias) {
        const float* add = bias + ((b % groups) * s.heads + h) * S * S;
        for (int64_t i = 0; i < S * S; ++i) p[i] += add[i];
      }
      for (int64_t i = 0; i < S; ++i) {
        float* row = p + i * S;
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < S; ++j) {
          const bool masked = (s.causal && j > i) || (key_valid && !key_valid[b * S + j]);
          if (masked) row[j] = -std::numeric_limits<float>::infinity();
          mx = std::max(mx, row[j]);
        }
        if (mx == -std::numeric_limits<float>::infinity()) {  // nothing to attend to
          for (int64_t j = 0; j < S; ++j) row[j] = 0.0f;
          continue;
        }
        float sum = 0.0f;
        for (int64_t j = 0; j < S; ++j) sum += (row[j] = std::exp(row[j] - mx));
        const float inv = 1.0f / sum;
        for (int64_t j = 0; j < S; ++j) row[j] *= inv;
      }
      gemm(false, false, S, hd, S, 1.0f, p, S, q + 2 * width, ld, 0.0f,
           out + b * S * width + h * hd, width);
    }
}

void backward(const AttentionShape& s, const float* qkv, const float* probs, const float* dout,
              float* dqkv, float* dbias) {
  const int64_t S = s.seq, hd = s.head_dim, width = s.heads * hd, ld = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  std::vector<float> dp(S * S);
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.heads; ++h) {
      const float* q = qkv + b * S * ld + h * hd;  // keys at +width, values at +2·width
      const float* k = q + width;
      const float* val = q + 2 * width;
      const float* p = probs + (b * s.heads + h) * S * S;
      const float* dO = dout + b * S * width + h * hd;
      float* dq = dqkv + b * S * ld + h * hd;
      gemm(false, true, S, S, hd, 1.0f, dO, width, val, ld, 0.0f, dp.data(), S);     // dP = dO Vᵀ
      gemm(true, false, S, hd, S, 1.0f, p, S, dO, width, 0.0f, dq + 2 * width, ld);  // dV = Pᵀ dO
      for (int64_t i = 0; i < S; ++i) {  // dS = P ∘ (dP − Σ_j dP·P) · scale
        float* row = dp.data() + i * S;
        const float* prow = p + i * S;
        float dot = 0.0f;
        for (int64_t j = 0; j < S; ++j) dot += row[j] * prow[j];
        if (dbias) {  // the bias enters the scores unscaled
          float* db = dbias + (h * S + i) * S;
          for (int64_t j = 0; j < S; ++j) {
            const float d = prow[j] * (row[j] - dot);
            db[j] += d;
            row[j] = d * scale;
          }
          continue;
        }
        for (int64_t j = 0; j < S; ++j) row[j] = prow[j] * (row[j] - dot) * scale;
      }
      gemm(false, false, S, hd, S, 1.0f, dp.data(), S, k, ld, 0.0f, dq, ld);         // dQ = dS K
      gemm(true, false, S, hd, S, 1.0f, dp.data(), S, q, ld, 0.0f, dq + width, ld);  // dK = dSᵀ Q
    }
}

}  // namespace

void attention_forward(const AttentionShape& s, const float* qkv, const uint8_t* key_valid,
                       float* probs, float* out) {
  forward(s, qkv, key_valid, nullptr, 1, probs, out);
}

void attention_backward(const AttentionShape& s, const float* qkv, const float* probs,
                        const float* dout, float* dqkv) {
  backward(s, qkv, probs, dout, dqkv, nullptr);
}

void attention_forward_biased(const AttentionShape& s, const float* qkv, const float* bias,
                              int64_t groups, float* probs, float* out) {
  forward(s, qkv, nullptr, bias, groups, probs, out);
}

void attention_backward_biased(const AttentionShape& s, const float* qkv, const float* probs,
                               const float* dout, float* dqkv, float* dbias) {
  std::fill_n(dbias, s.heads * s.seq * s.seq, 0.0f);
  backward(s, qkv, probs, dout, dqkv, dbias);
}

}  // namespace paramoe::cpu
