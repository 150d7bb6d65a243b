// The MoE layer's backward against central finite differences of its forward, on a
// tiny layer in one rank: one random direction per parameter tensor and the input.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <random>

#include "comm/mpi_collectives.h"
#include "moe/moe_layer.h"

namespace paramoe {
namespace {

struct Case {
  const char* activation;
  bool renormalize;
};

class MoeFiniteDifference : public ::testing::TestWithParam<Case> {};

TEST_P(MoeFiniteDifference, DirectionalDerivativesMatch) {
  MoeConfig cfg;
  cfg.d_model = 8;
  cfg.d_hidden = 8;
  cfg.num_experts = 4;
  cfg.top_k = 2;
  cfg.activation = GetParam().activation;
  cfg.renormalize = GetParam().renormalize;
  cfg.aux_loss_coef = 0.1;
  cfg.z_loss_coef = 0.05;
  MPI_Comm self;
  MPI_Comm_dup(MPI_COMM_SELF, &self);
  {
    ProcessGrid grid = ProcessGrid::create(self, ParallelConfig{}, cfg);
    MpiCollectives coll(grid);
    MoeLayer layer(cfg, coll, "fd/", 7);
    const int64_t T = 12, D = cfg.d_model;
    std::mt19937 rng(3);
    std::normal_distribution<float> n01;
    std::vector<float> x(T * D), gy(T * D), y(T * D), dx(T * D);
    for (auto& v : x) v = n01(rng);
    for (auto& v : gy) v = n01(rng);
    // Larger gate weights make routing decisive, so a small step flips no top-k choice.
    for (auto& v : layer.params().gate.value) v *= 4.0f;

    auto loss = [&]() {
      layer.forward(x.data(), T, y.data());
      double s = layer.aux_loss() + layer.z_loss();
      for (int64_t i = 0; i < T * D; ++i) s += static_cast<double>(y[i]) * gy[i];
      return s;
    };
    loss();
    layer.backward(gy.data(), dx.data());

    std::vector<std::pair<std::vector<float>*, std::vector<float>>> targets;
    targets.push_back({&x, dx});
    for (Param* p : layer.params().all()) targets.push_back({&p->value, p->grad});
    for (auto& [values, grad] : targets) {
      std::vector<float> dir(values->size());
      double analytic = 0;
      for (size_t i = 0; i < dir.size(); ++i) {
        dir[i] = n01(rng);
        analytic += static_cast<double>(dir[i]) * grad[i];
      }
      const float h = 2e-3f;
      const std::vector<float> base = *values;
      for (size_t i = 0; i < dir.size(); ++i) (*values)[i] = base[i] + h * dir[i];
      const double lp = loss();
      for (size_t i = 0; i < dir.size(); ++i) (*values)[i] = base[i] - h * dir[i];
      const double lm = loss();
      *values = base;
      const double numeric = (lp - lm) / (2.0 * h);
      // fp32 forward: rounding of L (~1e-7 relative) over 2h gives ~1e-4; 2e-3 leaves margin.
      EXPECT_NEAR(numeric, analytic, 2e-3 * std::max(1.0, std::abs(analytic)))
          << "tensor of size " << values->size();
    }
  }
  MPI_Comm_free(&self);
}

INSTANTIATE_TEST_SUITE_P(Activations, MoeFiniteDifference,
                         ::testing::Values(Case{"gelu", true}, Case{"swiglu", false}));

}  // namespace
}  // namespace paramoe
