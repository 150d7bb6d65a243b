// The expert FFN written once over a device's op table (moe/expert_ffn.h). On the
// CPU's kernels, the GPU's composition (every expert's rows in one grouped call per
// operator, gradients written rather than added in bf16 mode) must give what the
// CPU's row blocks give: the same FFN, only cut differently.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "device/device_ops.h"
#include "moe/expert_ffn.h"

namespace paramoe {
namespace {

std::vector<float> randn(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, 0.5f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

// The CPU's kernels composed as the GPU composes them.
const ExpertOps<float>& grouped_ops() {
  return emulated_gpu_device_ops().expert;
}

// Only the summation order of the weight gradients differs (blocks of 3 rows added
// one after another against one GEMM over an expert's ≤ 11 rows): a few fp32 ulps
// of values of order 1.
constexpr float kTol = 2e-5f;

void expect_close(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_NEAR(a[i], b[i], kTol * (1.0f + std::fabs(b[i]))) << what << "[" << i << "]";
}

struct Problem {
  ExpertDims d;
  std::vector<int64_t> offsets;  // expert 1 gets no rows
  std::vector<float> x, dy, w1, b1, w3, b3, w2, b2;

  explicit Problem(bool swiglu) : d{4, 6, 10, swiglu} {
    offsets = {0, 7, 7, 18, 25};
    const int64_t N = offsets.back(), E = d.experts, D = d.d_model, H = d.hidden;
    x = randn(N * D, 1);
    dy = randn(N * D, 2);
    w1 = randn(E * D * H, 3);
    b1 = randn(E * H, 4);
    w3 = randn(swiglu ? E * D * H : 0, 5);
    b3 = randn(swiglu ? E * H : 0, 6);
    w2 = randn(E * H * D, 7);
    b2 = randn(E * D, 8);
  }
  ExpertWeights weights() const {
    const bool s = d.swiglu;
    return {w1.data(), b1.data(), s ? w3.data() : nullptr, s ? b3.data() : nullptr,
            w2.data(), b2.data()};
  }
};

struct Result {
  std::vector<float> y, dx, g1, gb1, g3, gb3, g2, gb2;
  int blocks = 0;
};

// Gradients start at `grad_init` (added to, unless !accumulate_grads).
Result run(const ExpertOps<float>& ops, const Problem& p, int64_t block_rows, bool accumulate_grads,
           float grad_init) {
  ExpertDims d = p.d;
  d.block_rows = block_rows;
  const int64_t N = p.offsets.back(), E = d.experts, D = d.d_model, H = d.hidden;
  const int64_t sw = d.swiglu ? 1 : 0;
  Result r;
  r.y.assign(N * D, std::numeric_limits<float>::quiet_NaN());  // written, never read
  r.dx.assign(N * D, std::numeric_limits<float>::quiet_NaN());
  r.g1.assign(E * D * H, grad_init);
  r.gb1.assign(E * H, grad_init);
  r.g3.assign(sw * E * D * H, grad_init);
  r.gb3.assign(sw * E * H, grad_init);
  r.g2.assign(E * H * D, grad_init);
  r.gb2.assign(E * D, grad_init);
  ExpertScratch<float> s;
  const std::function<void()> count = [&] { ++r.blocks; };
  expert_ffn_forward(ops, d, p.weights(), p.x.data(), p.offsets.data(), true, s, r.y.data(), false,
                     count);
  const ExpertGrads g{
      r.g1.data(), r.gb1.data(), sw ? r.g3.data() : nullptr, sw ? r.gb3.data() : nullptr,
      r.g2.data(), r.gb2.data()};
  expert_ffn_backward(ops, d, p.weights(), p.x.data(), s, p.dy.data(), p.offsets.data(), g,
                      r.dx.data(), false, {}, accumulate_grads);
  return r;
}

void expect_same(const Result& a, const Result& b) {
  expect_close(a.y, b.y, "y");
  expect_close(a.dx, b.dx, "dx");
  expect_close(a.g1, b.g1, "dw1");
  expect_close(a.gb1, b.gb1, "db1");
  expect_close(a.g3, b.g3, "dw3");
  expect_close(a.gb3, b.gb3, "db3");
  expect_close(a.g2, b.g2, "dw2");
  expect_close(a.gb2, b.gb2, "db2");
}

class ExpertFfnCompositions : public ::testing::TestWithParam<bool> {};

TEST_P(ExpertFfnCompositions, GroupedCallsMatchRowBlocks) {
  const Problem p(GetParam());
  const Result blocks = run(cpu_device_ops().expert, p, 3, true, 0.25f);
  const Result grouped = run(grouped_ops(), p, 0, true, 0.25f);
  // Blocks of 3 rows: 3 + 4 + 3 of the three experts with rows; one grouped tile.
  EXPECT_EQ(blocks.blocks, 10);
  EXPECT_EQ(grouped.blocks, 1);
  expect_same(grouped, blocks);
}

// bf16 mode's composition: gradients written, every expert's (an expert without
// rows gets zeros), whatever was there before.
TEST_P(ExpertFfnCompositions, WrittenGradientsMatchAddedToZero) {
  const Problem p(GetParam());
  const Result added = run(grouped_ops(), p, 0, true, 0.0f);
  const Result written = run(grouped_ops(), p, 0, false, std::numeric_limits<float>::quiet_NaN());
  expect_same(written, added);
}

INSTANTIATE_TEST_SUITE_P(Activations, ExpertFfnCompositions, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "swiglu" : "gelu"; });

TEST(ExpertFfn, WrittenGradientsRefuseRowBlocks) {
  const Problem p(false);
  EXPECT_THROW(run(cpu_device_ops().expert, p, 3, false, 0.0f), Error);
}

}  // namespace
}  // namespace paramoe
