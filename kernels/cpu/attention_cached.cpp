#include "kernels/cpu/attention_cached.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/gemm.h"

namespace paramoe::cpu {

void attention_cached_forward(const CachedAttentionShape& s, const float* qkv, float* kv,
                              float* out) {
  const int64_t hd = s.head_dim, width = s.heads * hd, ld = 3 * width, kv_ld = 2 * width;
  const int64_t L = s.past + s.fresh;  // keys each sequence attends over
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  std::vector<float> p(s.fresh * L);
  for (int64_t b = 0; b < s.batch; ++b) {
    float* cache = kv + b * s.capacity * kv_ld;  // values at +width
    const float* rows = qkv + b * s.fresh * ld;
    for (int64_t i = 0; i < s.fresh; ++i)
      std::copy_n(rows + i * ld + width, kv_ld, cache + (s.past + i) * kv_ld);
    for (int64_t h = 0; h < s.heads; ++h) {
      const float* q = rows + h * hd;
      const float* k = cache + h * hd;
      gemm(false, true, s.fresh, L, hd, scale, q, ld, k, kv_ld, 0.0f, p.data(), L);
      for (int64_t i = 0; i < s.fresh; ++i) {
        float* row = p.data() + i * L;
        const int64_t seen = s.past + i + 1;  // causal: keys 0 .. past + i
        const float mx = *std::max_element(row, row + seen);
        float sum = 0.0f;
        for (int64_t j = 0; j < seen; ++j) sum += (row[j] = std::exp(row[j] - mx));
        const float inv = 1.0f / sum;
        for (int64_t j = 0; j < seen; ++j) row[j] *= inv;
        std::fill(row + seen, row + L, 0.0f);
      }
      gemm(false, false, s.fresh, hd, L, 1.0f, p.data(), L, k + width, kv_ld, 0.0f,
           out + b * s.fresh * width + h * hd, width);
    }
  }
}

}  // namespace paramoe::cpu
