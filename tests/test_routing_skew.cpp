// bench.routing's skewed routing (core/routing_skew.h, moe/skewed_scores.h): the
// forms it accepts and refuses, the expert shares it produces through the real
// router on random tokens and gate, that a token is skewed alike whatever batch it
// is routed in, and that the gate weights stay the token's own probabilities.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "core/routing_skew.h"
#include "moe/router.h"

namespace paramoe {
namespace {

constexpr int64_t kTokens = 8192, kD = 16;
constexpr int kE = 8;

MoeConfig config(int k, const std::string& routing) {
  MoeConfig cfg;
  cfg.d_model = kD;
  cfg.num_experts = kE;
  cfg.top_k = k;
  cfg.renormalize = false;
  cfg.routing_skew = routing;
  return cfg;
}

std::vector<float> normal(int64_t n, uint64_t stream) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(normal01(3, stream, i));
  return v;
}

// Each expert's share of all top-k assignments.
std::vector<double> shares(const RoutedTokens& r) {
  std::vector<double> s(kE, 0.0);
  for (int32_t e : r.expert) s[e] += 1.0 / static_cast<double>(r.expert.size());
  return s;
}

RoutedTokens route(const std::vector<float>& x, int64_t tokens, const std::vector<float>& wg,
                   const MoeConfig& cfg) {
  RoutingSkew skew;
  EXPECT_TRUE(routing_skew_parse(cfg.routing_skew, cfg.top_k, skew)) << cfg.routing_skew;
  Routing r;
  return router_forward_local(x.data(), tokens, kD, wg.data(), cfg, r, nullptr, &skew);
}

TEST(RoutingSkew, ParsesTheThreeFormsAndRefusesTheRest) {
  RoutingSkew s;
  EXPECT_TRUE(routing_skew_parse("uniform", 2, s));
  EXPECT_EQ(s.kind, RoutingSkew::Kind::Uniform);
  EXPECT_TRUE(routing_skew_parse("zipf:1.2", 2, s));
  EXPECT_EQ(s.kind, RoutingSkew::Kind::Zipf);
  EXPECT_DOUBLE_EQ(s.param, 1.2);
  EXPECT_TRUE(routing_skew_parse("hot:0.5", 2, s));
  EXPECT_EQ(s.kind, RoutingSkew::Kind::Hot);
  EXPECT_TRUE(routing_skew_parse("hot:0.9", 1, s));
  for (const char* bad : {"", "hot", "hot:", "hot:0", "hot:1", "hot:-0.2", "hot:0.6", "hot:0.5x",
                          "zipf:0", "zipf:-1", "zipf:nan", "zipf:inf", "normal", "Uniform"})
    EXPECT_FALSE(routing_skew_parse(bad, 2, s)) << bad;
}

TEST(RoutingSkew, HotExpertTakesItsShare) {
  const auto x = normal(kTokens * kD, 1), wg = normal(kD * kE, 2);
  for (const auto& [k, f] : {std::pair{1, 0.5}, std::pair{2, 0.25}, std::pair{2, 0.5}}) {
    const RoutedTokens r = route(x, kTokens, wg, config(k, "hot:" + std::to_string(f)));
    // 8192 tokens: the binomial spread of the share is at most sqrt(.25/8192) ≈ 0.006.
    EXPECT_NEAR(shares(r)[0], f, 0.02) << "k " << k << " hot:" << f;
  }
}

TEST(RoutingSkew, ZipfSharesFallWithTheExpertIndex) {
  const auto x = normal(kTokens * kD, 1), wg = normal(kD * kE, 2);
  const RoutedTokens r = route(x, kTokens, wg, config(2, "zipf:1.2"));
  const std::vector<double> s = shares(r);
  for (int e = 1; e < 4; ++e) EXPECT_GT(s[e - 1], s[e] + 0.01) << e;
  EXPECT_GT(s[0], 2.0 / kE);  // well above an even share
  double sum = 0;
  for (double v : s) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-9);
}

// A token's skew comes from its own values: routed alone in a smaller batch, in
// another order, it chooses the same experts. And the skew only selects: the gate
// weights are the chosen experts' probabilities.
TEST(RoutingSkew, SameTokenSameChoiceAndUnbiasedWeights) {
  const auto x = normal(kTokens * kD, 1), wg = normal(kD * kE, 2);
  const MoeConfig cfg = config(2, "zipf:0.8");
  const RoutedTokens all = route(x, kTokens, wg, cfg);
  constexpr int64_t kPart = 100, kFrom = 4000;
  std::vector<float> part;
  for (int64_t t = kFrom + kPart - 1; t >= kFrom; --t)  // reversed
    part.insert(part.end(), x.begin() + t * kD, x.begin() + (t + 1) * kD);
  const RoutedTokens some = route(part, kPart, wg, cfg);
  for (int64_t i = 0; i < kPart; ++i) {
    const int64_t t = kFrom + kPart - 1 - i;
    for (int j = 0; j < 2; ++j) {
      ASSERT_EQ(some.expert[i * 2 + j], all.expert[t * 2 + j]) << "token " << t;
      EXPECT_EQ(all.weight[t * 2 + j], all.probs[t * kE + all.expert[t * 2 + j]]);
    }
  }
}

}  // namespace
}  // namespace paramoe
