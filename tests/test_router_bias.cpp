// Aux-loss-free balancing (moe.balance = "bias") against the PyTorch reference of
// tests/golden/make_bias_fixture.py: over six steps of a router with a hot expert,
// the experts chosen on probs + bias, their (unbiased) gate weights, and the bias
// after each update.
#include <gtest/gtest.h>

#include <cmath>

#include "moe/router.h"
#include "tests/fixture_io.h"

namespace paramoe {
namespace {

using test::Fixture;

TEST(RouterBias, MatchesPyTorchOverSteps) {
  const Fixture f = test::fixture_read(test::golden_dir() + "/balance_bias.bin");
  const auto& x = f.at("x");
  const int64_t steps = x.shape[0], T = x.shape[1], D = x.shape[2];
  MoeConfig cfg;
  cfg.d_model = static_cast<int>(D);
  cfg.num_experts = static_cast<int>(f.at("wg").shape[1]);
  cfg.top_k = static_cast<int>(f.at("experts").shape[2]);
  cfg.renormalize = false;
  cfg.balance = "bias";
  const int E = cfg.num_experts, k = cfg.top_k;
  const double rate = f.at("rate").data[0];
  std::vector<float> bias(E, 0.0f);
  std::vector<int> first_load(E, 0), last_load(E, 0);
  for (int64_t s = 0; s < steps; ++s) {
    // One rank holds every token, so its statistics are the global shares.
    Routing r;
    const RoutedTokens h = router_forward_local(x.data.data() + s * T * D, T, D,
                                                f.at("wg").data.data(), cfg, r, bias.data());
    for (int64_t i = 0; i < T * k; ++i) {
      // The reference's margin between the k-th and (k+1)-th scores is >= 1e-5,
      // far above fp32 rounding of the probabilities (~1e-7), so every choice agrees.
      ASSERT_EQ(h.expert[i], static_cast<int>(f.at("experts").data[s * T * k + i]))
          << "step " << s + 1 << " assignment " << i;
      // fp32 softmax against float64: ~1e-7 absolute.
      EXPECT_NEAR(h.topk_prob[i], f.at("weights").data[s * T * k + i], 2e-6);
      if (s == 0) ++first_load[h.expert[i]];
      if (s == steps - 1) ++last_load[h.expert[i]];
    }
    router_update_bias(bias, r, rate);
    for (int e = 0; e < E; ++e)  // sums of ±rate: float32 against float64, ~1e-8
      EXPECT_NEAR(bias[e], f.at("bias").data[s * E + e], 1e-6) << "step " << s + 1;
  }
  // The hot expert's load falls.
  EXPECT_LT(last_load[0], first_load[0]);
}

}  // namespace
}  // namespace paramoe
