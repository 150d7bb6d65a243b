#include "moe/skewed_scores.h"

#include <cmath>
#include <string_view>
#include <vector>

#include "core/rng.h"

namespace paramoe {

namespace {

constexpr float kForce = 1000.0f;

// The token's identity, the same on every rank: FNV-1a over the row's bytes.
uint64_t row_hash(const float* row, int64_t n) {
  return stream_id(std::string_view(reinterpret_cast<const char*>(row), n * sizeof(float)));
}

// Successive uniform draws in [0, 1) from one state (splitmix64's sequence).
double next_uniform(uint64_t& state) {
  const uint64_t z = splitmix64(state);
  state += 0x9E3779B97F4A7C15ull;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

}  // namespace

void skew_scores(const RoutingSkew& skew, const float* x, int64_t tokens, int64_t d_model,
                 int experts, int top_k, float* scores) {
  if (skew.kind == RoutingSkew::Kind::Uniform) return;
  std::vector<double> weight(experts);
  for (int e = 0; e < experts; ++e) weight[e] = 1.0 / std::pow(e + 1.0, skew.param);
  for (int64_t t = 0; t < tokens; ++t) {
    uint64_t state = row_hash(x + t * d_model, d_model);
    float* s = scores + t * experts;
    if (skew.kind == RoutingSkew::Kind::Hot) {
      // One of this token's top_k assignments goes to expert 0 with probability
      // F·top_k, so expert 0 takes F of all assignments.
      s[0] += next_uniform(state) < skew.param * top_k ? kForce : -kForce;
      continue;
    }
    // Zipf: top_k distinct experts drawn without replacement in proportion to
    // 1/(e+1)^S, forced in the order drawn.
    std::vector<double> w = weight;
    double left = 0;
    for (double v : w) left += v;
    for (int j = 0; j < top_k && j < experts; ++j) {
      double u = next_uniform(state) * left;
      int pick = experts - 1;
      for (int e = 0; e < experts; ++e) {
        if (w[e] == 0) continue;
        if (u < w[e]) {
          pick = e;
          break;
        }
        u -= w[e];
      }
      while (w[pick] == 0) --pick;  // rounding left u past the end
      s[pick] += kForce * (1.0f - 0.001f * j);
      left -= w[pick];
      w[pick] = 0;
    }
  }
}

}  // namespace paramoe
