// Every CUDA kernel against its CPU pair (kernels/cpu, itself tested against naive
// loops and PyTorch) on fresh random inputs at several sizes, experts with zero rows
// included. Outputs are poisoned (NaN / −1) before each run, so a kernel that skips
// an element fails. Without a GPU every test skips and says why.
//
// Tolerances, per tensor:
// - fp32 GEMMs (esmm, estmm, gemm): cuBLAS and OpenBLAS sum in different orders;
//   the error of a k-term fp32 dot product is bounded by ~k·2⁻²⁴·Σ|terms|, so we
//   allow 1e-5·(1 + |ref|)·sqrt(k)-ish: 2e-4 relative to the magnitude at k ≤ 256.
// - bf16 storage: every stored value is rounded to 8 mantissa bits (2⁻⁹ relative),
//   inputs and output once each, so 2e-2 relative to the tensor's largest value.
// - elementwise fp32 (activations, AdamW): same formula, device libm vs glibc;
//   erff/expf differ by a few ulp: 1e-5 relative.
// - reductions (softmax, LayerNorm, combine's dot, ess): fp32 sums in another
//   order: 1e-5 relative to the magnitude.
// - integer outputs (top-k indices, dispatch positions): exact.
// - the transformer kernels (embedding, bias, cross-entropy, attention): copies are
//   exact; sums over rows (embedding and bias gradients) and softmax rows are fp32
//   reductions in another order: 1e-5·√rows; attention chains two GEMMs around the
//   softmax: 2e-4, as the GEMMs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "device/cuda_device_info.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/adamw_update.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/bias.h"
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/dispatch_ops.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/embedding.h"
#include "kernels/cpu/expert_ops.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/layernorm.h"
#include "kernels/cpu/router_ops.h"
#include "kernels/cpu/row_ops.h"
#include "kernels/cpu/wire_bf16.h"
#include "kernels/cuda/activation.h"
#include "kernels/cuda/adamw_update.h"
#include "kernels/cuda/attention.h"
#include "kernels/cuda/bf16.h"
#include "kernels/cuda/bias.h"
#include "kernels/cuda/cross_entropy.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/dispatch_ops.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/expert_ops.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/layernorm.h"
#include "kernels/cuda/router_ops.h"
#include "kernels/cuda/row_ops.h"
#include "kernels/cuda/wire_bf16.h"

namespace paramoe {
namespace {

using cuda::bf16;
using cuda::DeviceBuffer;
using F = DeviceBuffer<float>;

#define REQUIRE_GPU()                                                      \
  do {                                                                     \
    std::string why_;                                                      \
    if (cuda::device_count(why_) == 0) GTEST_SKIP() << "no GPU: " << why_; \
  } while (0)

// Fresh inputs every run; the seed is printed with any failure to reproduce it.
uint32_t fresh_seed() {
  static std::random_device rd;
  return rd();
}
#define FRESH_RNG(g)                             \
  const uint32_t seed_ = fresh_seed();           \
  SCOPED_TRACE("seed " + std::to_string(seed_)); \
  std::mt19937 g(seed_)

std::vector<float> randn(size_t n, std::mt19937& g, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

float max_abs(const std::vector<float>& v) {
  float m = 0.0f;
  for (float x : v) m = std::max(m, std::abs(x));
  return m;
}

// |got − want| ≤ rel · max(1, max|want|) everywhere, and no NaN (poison) left.
void expect_close(const std::vector<float>& got, const std::vector<float>& want, float rel,
                  const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  const float tol = rel * std::max(1.0f, max_abs(want));
  size_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::abs(got[i] - want[i]) <= tol) && bad++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << want[i] << " (tol "
                    << tol << ")";
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << got.size() << " values off";
}

// Offsets from per-expert row counts.
std::vector<int64_t> offsets_of(const std::vector<int64_t>& counts) {
  std::vector<int64_t> o(counts.size() + 1, 0);
  std::partial_sum(counts.begin(), counts.end(), o.begin() + 1);
  return o;
}

// Row counts per expert: random, with experts 0 and 2 (when present) given none.
std::vector<int64_t> random_counts(int64_t experts, int64_t max_rows, std::mt19937& g) {
  std::uniform_int_distribution<int64_t> d(1, max_rows);
  std::vector<int64_t> c(experts);
  for (int64_t e = 0; e < experts; ++e) c[e] = (e == 0 || e == 2) ? 0 : d(g);
  return c;
}

std::vector<float> to_host_float(const DeviceBuffer<bf16>& b) {
  F f(b.size());
  cuda::cast(b.data(), static_cast<int64_t>(b.size()), f.data());
  return f.download();
}

DeviceBuffer<bf16> to_bf16(const std::vector<float>& host) {
  F f(host);
  DeviceBuffer<bf16> b(host.size());
  cuda::cast(f.data(), static_cast<int64_t>(host.size()), b.data());
  return b;
}

// The values a bf16 copy holds, as floats: the CPU reference runs on these.
std::vector<float> round_bf16(const std::vector<float>& host) {
  return to_host_float(to_bf16(host));
}

struct GemmShape {
  int64_t experts, max_rows, k, n;
};

class ExpertOps : public ::testing::TestWithParam<std::tuple<GemmShape, cuda::ExpertGemm>> {};

TEST_P(ExpertOps, EsmmEstmmEssMatchCpuFp32) {
  REQUIRE_GPU();
  const auto [s, how] = GetParam();
  FRESH_RNG(g);
  const auto off = offsets_of(random_counts(s.experts, s.max_rows, g));
  const int64_t N = off.back(), E = s.experts, K = s.k, Nn = s.n;
  const auto x = randn(N * K, g), w = randn(E * K * Nn, g), b = randn(E * Nn, g);
  const auto y0 = randn(N * Nn, g), dy = randn(N * Nn, g), dw0 = randn(E * K * Nn, g);
  F dx(x), dwt(w), dbias(b), ddy(dy);
  for (bool trans : {false, true})
    for (bool acc : {false, true})
      for (bool bias : {false, true}) {
        SCOPED_TRACE(std::string("trans ") + (trans ? "1" : "0") + " acc " + (acc ? "1" : "0") +
                     " bias " + (bias ? "1" : "0"));
        // trans: y [N, K] = dy · W_eᵀ (the input-gradient shape); else y [N, n] = x · W_e.
        const int64_t kin = trans ? Nn : K, kout = trans ? K : Nn;
        const auto& in = trans ? dy : x;
        std::vector<float> want = acc ? randn(N * kout, g) : std::vector<float>(N * kout, 0.0f);
        F got(want);
        if (!acc) got.poison();
        const float* bptr = bias && !trans ? b.data() : nullptr;
        cpu::esmm(in.data(), w.data(), bptr, off.data(), E, kin, kout, trans, acc, want.data());
        cuda::esmm(trans ? ddy.data() : dx.data(), dwt.data(), bptr ? dbias.data() : nullptr,
                   off.data(), E, kin, kout, trans, acc, got.data(), nullptr, how);
        expect_close(got.download(), want, 2e-4f, "esmm y");
      }
  for (bool acc : {false, true}) {
    std::vector<float> want = acc ? dw0 : std::vector<float>(E * K * Nn, 0.0f);
    F got(want);
    if (!acc) got.poison();
    cpu::estmm(x.data(), dy.data(), off.data(), E, K, Nn, acc, want.data());
    cuda::estmm(dx.data(), ddy.data(), off.data(), E, K, Nn, acc, got.data(), nullptr, how);
    expect_close(got.download(), want, 2e-4f, acc ? "estmm dW (accumulate)" : "estmm dW");

    std::vector<float> want_b = acc ? b : std::vector<float>(E * Nn, 0.0f);
    F got_b(want_b);
    if (!acc) got_b.poison();
    cpu::ess(dy.data(), off.data(), E, Nn, acc, want_b.data());
    cuda::ess(ddy.data(), off.data(), E, Nn, acc, got_b.data());
    expect_close(got_b.download(), want_b, 1e-5f, "ess db");
  }
}

TEST_P(ExpertOps, EsmmEstmmMatchCpuBf16) {
  REQUIRE_GPU();
  const auto [s, how] = GetParam();
  FRESH_RNG(g);
  const auto off = offsets_of(random_counts(s.experts, s.max_rows, g));
  const int64_t N = off.back(), E = s.experts, K = s.k, Nn = s.n;
  const auto x = round_bf16(randn(N * K, g)), w = round_bf16(randn(E * K * Nn, g));
  const auto dy = round_bf16(randn(N * Nn, g));
  auto bx = to_bf16(x), bw = to_bf16(w), bdy = to_bf16(dy);

  std::vector<float> want(N * Nn, 0.0f);
  cpu::esmm(x.data(), w.data(), nullptr, off.data(), E, K, Nn, false, false, want.data());
  DeviceBuffer<bf16> y(N * Nn);
  y.poison();
  cuda::esmm(bx.data(), bw.data(), nullptr, off.data(), E, K, Nn, false, false, y.data(), nullptr,
             how);
  expect_close(to_host_float(y), want, 2e-2f, "bf16 esmm y");

  std::vector<float> want_dx(N * K, 0.0f);
  cpu::esmm(dy.data(), w.data(), nullptr, off.data(), E, Nn, K, true, false, want_dx.data());
  DeviceBuffer<bf16> gx(N * K);
  gx.poison();
  cuda::esmm(bdy.data(), bw.data(), nullptr, off.data(), E, Nn, K, true, false, gx.data(), nullptr,
             how);
  expect_close(to_host_float(gx), want_dx, 2e-2f, "bf16 esmm dx");

  std::vector<float> want_dw(E * K * Nn, 0.0f);
  cpu::estmm(x.data(), dy.data(), off.data(), E, K, Nn, false, want_dw.data());
  DeviceBuffer<bf16> dw(E * K * Nn);
  dw.poison();
  cuda::estmm(bx.data(), bdy.data(), off.data(), E, K, Nn, false, dw.data(), nullptr, how);
  expect_close(to_host_float(dw), want_dw, 2e-2f, "bf16 estmm dW");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ExpertOps,
    ::testing::Combine(::testing::Values(GemmShape{4, 9, 7, 5}, GemmShape{6, 40, 64, 48},
                                         GemmShape{16, 70, 128, 96}, GemmShape{3, 300, 256, 160},
                                         GemmShape{300, 3, 8, 40}),
                       ::testing::Values(cuda::ExpertGemm::per_expert, cuda::ExpertGemm::streams,
                                         cuda::ExpertGemm::grouped)));

TEST(CudaKernels, GemmMatchesCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{3, 5, 7}, {64, 33, 129}}) {
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const auto a = randn(m * k, g), b = randn(k * n, g), c0 = randn(m * n, g);
        std::vector<float> want = c0;
        const int64_t lda = ta ? m : k, ldb = tb ? k : n;
        cpu::gemm(ta, tb, m, n, k, 0.5f, a.data(), lda, b.data(), ldb, 1.0f, want.data(), n);
        F da(a), db(b), dc(c0);
        cuda::gemm(ta, tb, m, n, k, 0.5f, da.data(), lda, db.data(), ldb, 1.0f, dc.data(), n);
        expect_close(dc.download(), want, 2e-4f, "gemm C");
      }
  }
}

// Strided and padded: each batch member's matrices start `stride` floats apart with
// a gap between them, so a wrong stride or a swapped operand stride reads the gap.
TEST(CudaKernels, GemmStridedBatchedMatchesCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  const int64_t m = 17, n = 9, k = 12, batch = 5, gap = 3;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const int64_t lda = ta ? m : k, ldb = tb ? k : n;
      const int64_t sa = m * k + gap, sb = k * n + gap, sc = m * n + gap;
      const auto a = randn(sa * batch, g), b = randn(sb * batch, g), c0 = randn(sc * batch, g);
      std::vector<float> want = c0;
      cpu::gemm_strided_batched(ta, tb, m, n, k, 0.5f, a.data(), lda, sa, b.data(), ldb, sb, 0.0f,
                                want.data(), n, sc, batch);
      F da(a), db(b), dc(c0);
      cuda::gemm_strided_batched(ta, tb, m, n, k, 0.5f, da.data(), lda, sa, db.data(), ldb, sb,
                                 0.0f, dc.data(), n, sc, batch);
      // The gaps keep c0's values on both sides (exact); the products agree to fp32
      // summation order over k = 12 terms.
      expect_close(dc.download(), want, 2e-5f, "strided batched gemm C");
    }
}

// The span a cast must cover (host arithmetic: runs without a GPU too). A 3×4 op(X)
// stored with ld 6 spans two full rows and one of 4; transposed, X is 4×3 in ld 6.
TEST(CudaKernels, StoredExtentCoversTheOperand) {
  EXPECT_EQ(cuda::stored_extent(false, 3, 4, 6), 2 * 6 + 4);
  EXPECT_EQ(cuda::stored_extent(true, 3, 4, 6), 3 * 6 + 3);
  EXPECT_EQ(cuda::stored_extent(false, 1, 5, 9), 5);
  EXPECT_EQ(cuda::stored_extent(false, 0, 5, 9), 0);
  EXPECT_EQ(cuda::stored_extent(true, 5, 0, 9), 0);
}

// bf16 inputs, fp32 C, as the dense backend runs its GEMMs with device.precision =
// "bf16": operands padded (ld > cols) and cast over their stored extent only. The
// CPU reference runs on the same rounded inputs, so the products are exact and only
// the fp32 sums differ; tensor cores may align the fp32 partial sums with truncation,
// so the bound is the fp32 GEMMs' 2e-4 (unmeasured for this path).
TEST(CudaKernels, GemmBf16InputsMatchCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  const int64_t pad = 3;
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{3, 5, 7}, {64, 33, 129}}) {
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const int64_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad;
        const auto a = round_bf16(randn((ta ? k : m) * lda, g));
        const auto b = round_bf16(randn((tb ? n : k) * ldb, g));
        const auto c0 = randn(m * n, g);
        std::vector<float> want = c0;
        cpu::gemm(ta, tb, m, n, k, 0.5f, a.data(), lda, b.data(), ldb, 1.0f, want.data(), n);
        F da(a), db(b), dc(c0);
        DeviceBuffer<bf16> a16(a.size()), b16(b.size());
        a16.poison();
        b16.poison();
        cuda::cast(da.data(), cuda::stored_extent(ta, m, k, lda), a16.data());
        cuda::cast(db.data(), cuda::stored_extent(tb, k, n, ldb), b16.data());
        cuda::gemm(ta, tb, m, n, k, 0.5f, a16.data(), lda, b16.data(), ldb, 1.0f, dc.data(), n);
        expect_close(dc.download(), want, 2e-4f, "bf16-input gemm C");
      }
  }
}

TEST(CudaKernels, ActivationsMatchCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  for (int64_t n : {1, 1000, 70001}) {
    const auto a = randn(n, g, 3.0f), gg = randn(n, g), dh = randn(n, g);
    std::vector<float> h(n), da(n), dg(n);
    F ga(a), ggd(gg), gdh(dh), out(n), out2(n);

    cpu::gelu_forward(a.data(), n, h.data());
    out.poison();
    cuda::gelu_forward(ga.data(), n, out.data());
    expect_close(out.download(), h, 1e-5f, "gelu h");
    cpu::gelu_backward(a.data(), dh.data(), n, da.data());
    out.poison();
    cuda::gelu_backward(ga.data(), gdh.data(), n, out.data());
    expect_close(out.download(), da, 1e-5f, "gelu da");

    cpu::swiglu_forward(a.data(), gg.data(), n, h.data());
    out.poison();
    cuda::swiglu_forward(ga.data(), ggd.data(), n, out.data());
    expect_close(out.download(), h, 1e-5f, "swiglu h");
    cpu::swiglu_backward(a.data(), gg.data(), dh.data(), n, da.data(), dg.data());
    out.poison();
    out2.poison();
    cuda::swiglu_backward(ga.data(), ggd.data(), gdh.data(), n, out.data(), out2.data());
    expect_close(out.download(), da, 1e-5f, "swiglu da");
    expect_close(out2.download(), dg, 1e-5f, "swiglu dg");

    // bf16 storage: the CPU runs on the rounded inputs.
    const auto ra = round_bf16(a), rg = round_bf16(gg);
    auto ba = to_bf16(ra), bg = to_bf16(rg);
    DeviceBuffer<bf16> bh(n);
    cpu::swiglu_forward(ra.data(), rg.data(), n, h.data());
    bh.poison();
    cuda::swiglu_forward(ba.data(), bg.data(), n, bh.data());
    expect_close(to_host_float(bh), h, 2e-2f, "bf16 swiglu h");
    cpu::gelu_forward(ra.data(), n, h.data());
    bh.poison();
    cuda::gelu_forward(ba.data(), n, bh.data());
    expect_close(to_host_float(bh), h, 2e-2f, "bf16 gelu h");
  }
}

TEST(CudaKernels, LayerNormMatchesCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  for (auto [rows, dim] : {std::pair<int64_t, int64_t>{1, 7}, {37, 256}, {300, 1000}}) {
    auto x = randn(rows * dim, g, 2.0f);
    for (auto& v : x) v += 3.0f;  // a non-zero mean, as real activations have
    const auto gamma = randn(dim, g), beta = randn(dim, g), dy = randn(rows * dim, g);
    std::vector<float> y(rows * dim), mean(rows), rstd(rows), dx(rows * dim);
    std::vector<float> dgamma = randn(dim, g), dbeta = randn(dim, g);
    F gx(x), gg(gamma), gb(beta), gdy(dy), gy(rows * dim), gm(rows), gr(rows), gdx(rows * dim);
    F gdg(dgamma), gdb(dbeta);
    cpu::layernorm_forward(x.data(), gamma.data(), beta.data(), rows, dim, 1e-5f, y.data(),
                           mean.data(), rstd.data());
    gy.poison();
    gm.poison();
    gr.poison();
    cuda::layernorm_forward(gx.data(), gg.data(), gb.data(), rows, dim, 1e-5f, gy.data(), gm.data(),
                            gr.data());
    expect_close(gy.download(), y, 1e-5f, "layernorm y");
    expect_close(gm.download(), mean, 1e-5f, "layernorm mean");
    expect_close(gr.download(), rstd, 1e-5f, "layernorm rstd");
    cpu::layernorm_backward(x.data(), gamma.data(), mean.data(), rstd.data(), dy.data(), rows, dim,
                            dx.data(), dgamma.data(), dbeta.data());
    gdx.poison();
    cuda::layernorm_backward(gx.data(), gg.data(), gm.data(), gr.data(), gdy.data(), rows, dim,
                             gdx.data(), gdg.data(), gdb.data());
    expect_close(gdx.download(), dx, 1e-5f, "layernorm dx");
    // dgamma sums `rows` products: fp32 order differences grow with rows.
    expect_close(gdg.download(), dgamma, 1e-5f * std::sqrt(static_cast<float>(rows)) * 4,
                 "layernorm dgamma");
    expect_close(gdb.download(), dbeta, 1e-5f * std::sqrt(static_cast<float>(rows)) * 4,
                 "layernorm dbeta");
  }
}

TEST(CudaKernels, RouterOpsMatchCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  for (auto [rows, cols, k] :
       {std::tuple<int64_t, int64_t, int64_t>{1, 2, 1}, {100, 8, 2}, {513, 64, 8}, {64, 160, 6}}) {
    const auto logits = randn(rows * cols, g, 2.0f), dp = randn(rows * cols, g);
    std::vector<float> p(rows * cols), lse(rows), val(rows * k), dl(rows * cols);
    std::vector<int32_t> idx(rows * k);
    F gl(logits), gp(rows * cols), glse(rows), gval(rows * k), gdp(dp), gdl(rows * cols);
    DeviceBuffer<int32_t> gidx(rows * k);
    cpu::softmax_lse_forward(logits.data(), rows, cols, p.data(), lse.data());
    gp.poison();
    glse.poison();
    cuda::softmax_lse_forward(gl.data(), rows, cols, gp.data(), glse.data());
    expect_close(gp.download(), p, 1e-5f, "softmax probs");
    expect_close(glse.download(), lse, 1e-5f, "softmax lse");

    // Top-k on the CPU's probabilities, so both select from identical values.
    F gprobs(p);
    cpu::topk_rows(p.data(), rows, cols, k, idx.data(), val.data());
    gidx.poison();
    gval.poison();
    cuda::topk_rows(gprobs.data(), rows, cols, k, gidx.data(), gval.data());
    EXPECT_EQ(gidx.download(), idx) << "top-k indices";
    expect_close(gval.download(), val, 0.0f, "top-k values");

    cpu::softmax_backward(p.data(), dp.data(), rows, cols, dl.data());
    gdl.poison();
    cuda::softmax_backward(gprobs.data(), gdp.data(), rows, cols, gdl.data());
    expect_close(gdl.download(), dl, 1e-5f, "softmax dlogits");
  }
}

TEST(CudaKernels, RouterBackwardOpsMatchCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  for (auto [rows, cols, k] :
       {std::tuple<int64_t, int64_t, int>{1, 4, 1}, {300, 16, 2}, {257, 64, 8}}) {
    std::vector<float> probs(rows * cols), lse(rows);
    cpu::softmax_lse_forward(randn(rows * cols, g).data(), rows, cols, probs.data(), lse.data());
    std::vector<int32_t> idx(rows * k);
    std::vector<float> val(rows * k), wgt(rows * k);
    cpu::topk_rows(probs.data(), rows, cols, k, idx.data(), val.data());
    cpu::topk_renormalize(val.data(), rows, k, wgt.data());
    F gval(val), gw(rows * k);
    gw.poison();
    cuda::topk_renormalize(gval.data(), rows, k, gw.data());
    expect_close(gw.download(), wgt, 1e-6f, "renormalized weights");

    const auto dweight = randn(rows * k, g), aux = randn(cols, g, 0.01f);
    F gdw(dweight), gaux(aux), gp(probs), glse(lse), gdp(rows * cols);
    DeviceBuffer<int32_t> gidx(idx);
    for (bool renorm : {false, true}) {
      std::vector<float> dp(rows * cols);
      cpu::router_dprobs(dweight.data(), idx.data(), val.data(), wgt.data(), rows, cols, k, renorm,
                         aux.data(), dp.data());
      gdp.poison();
      cuda::router_dprobs(gdw.data(), gidx.data(), gval.data(), gw.data(), rows, cols, k, renorm,
                          gaux.data(), gdp.data());
      expect_close(gdp.download(), dp, 1e-6f, "router dprobs");
    }
    std::vector<float> dl = randn(rows * cols, g);
    F gdl(dl);
    cpu::zloss_backward(probs.data(), lse.data(), rows, cols, 0.02f, dl.data());
    cuda::zloss_backward(gp.data(), glse.data(), rows, cols, 0.02f, gdl.data());
    expect_close(gdl.download(), dl, 1e-6f, "z-loss dlogits");
  }
}

TEST(CudaKernels, TopkBreaksTiesToLowerIndex) {
  REQUIRE_GPU();
  const std::vector<float> x = {0.5f, 0.25f, 0.5f, 0.25f, 0.1f};
  std::vector<int32_t> idx(4);
  std::vector<float> val(4);
  cpu::topk_rows(x.data(), 1, 5, 4, idx.data(), val.data());
  F gx(x), gval(4);
  DeviceBuffer<int32_t> gidx(4);
  cuda::topk_rows(gx.data(), 1, 5, 4, gidx.data(), gval.data());
  EXPECT_EQ(gidx.download(), idx);
  EXPECT_EQ(idx, (std::vector<int32_t>{0, 2, 1, 3}));
}

TEST(CudaKernels, DispatchPositionsMatchCpuExactly) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  for (auto [tokens, k, experts] : {std::tuple<int64_t, int, int>{0, 2, 4},
                                    {1, 1, 2},
                                    {37, 2, 8},
                                    {1000, 8, 64},
                                    {3000, 2, 6}}) {
    std::uniform_int_distribution<int> pick(0, experts - 1);
    std::bernoulli_distribution keep(0.85);
    std::vector<int32_t> expert(tokens * k), slot_of(experts);
    std::vector<uint8_t> kept(tokens * k);
    for (auto& e : expert) e = pick(g);
    for (auto& v : kept) v = keep(g) ? 1 : 0;
    std::iota(slot_of.begin(), slot_of.end(), 0);
    std::shuffle(slot_of.begin(), slot_of.end(), g);  // a non-trivial placement
    const int64_t rows = std::accumulate(kept.begin(), kept.end(), int64_t{0});
    std::vector<int64_t> counts(experts);
    std::vector<int32_t> pos(tokens * k), tok(rows);
    cpu::dispatch_positions(expert.data(), kept.data(), tokens, k, slot_of.data(), experts,
                            counts.data(), pos.data(), tok.data());
    DeviceBuffer<int32_t> ge(expert), gs(slot_of), gpos(tokens * k), gtok(rows);
    DeviceBuffer<uint8_t> gk(kept);
    DeviceBuffer<int64_t> gc(experts);
    gc.poison();
    gpos.poison();
    gtok.poison();
    cuda::dispatch_positions(ge.data(), gk.data(), tokens, k, gs.data(), experts, gc.data(),
                             gpos.data(), gtok.data());
    EXPECT_EQ(gc.download(), counts);
    EXPECT_EQ(gpos.download(), pos);
    EXPECT_EQ(gtok.download(), tok);
  }
}

TEST(CudaKernels, RowOpsMatchCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  for (auto [tokens, k, len] :
       {std::tuple<int64_t, int, int64_t>{1, 1, 3}, {50, 2, 64}, {700, 4, 300}}) {
    // A random dispatch: positions of the kept assignments are a permutation.
    std::bernoulli_distribution keep(0.8);
    std::vector<int32_t> pos(tokens * k, -1), tok;
    for (int64_t a = 0; a < tokens * k; ++a)
      if (keep(g)) {
        pos[a] = static_cast<int32_t>(tok.size());
        tok.push_back(static_cast<int32_t>(a / k));
      }
    const int64_t rows = static_cast<int64_t>(tok.size());
    std::vector<int32_t> perm(rows);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), g);
    for (auto& p : pos)
      if (p >= 0) p = perm[p];
    std::vector<int32_t> tok_perm(rows);
    for (int64_t i = 0; i < rows; ++i) tok_perm[perm[i]] = tok[i];

    const auto x = randn(tokens * len, g), r = randn(rows * len, g), dy = randn(tokens * len, g);
    const auto wgt = randn(tokens * k, g);
    F gx(x), gr(r), gdy(dy), gw(wgt), out(rows * len);
    DeviceBuffer<int32_t> gtok(tok_perm), gpos(pos), gperm(perm);

    std::vector<float> want(rows * len);
    cpu::gather_rows(x.data(), tok_perm.data(), rows, len, want.data());
    out.poison();
    cuda::gather_rows(gx.data(), gtok.data(), rows, len, out.data());
    expect_close(out.download(), want, 0.0f, "gather_rows");

    cpu::scatter_rows(r.data(), perm.data(), rows, len, want.data());
    out.poison();
    cuda::scatter_rows(gr.data(), gperm.data(), rows, len, out.data());
    expect_close(out.download(), want, 0.0f, "scatter_rows");

    std::vector<float> acc = dy;  // scatter-add rows back onto their tokens
    cpu::scatter_add_rows(r.data(), tok_perm.data(), rows, len, acc.data());
    F gacc(dy);
    cuda::scatter_add_rows(gr.data(), gtok.data(), rows, len, gacc.data());
    expect_close(gacc.download(), acc, 1e-5f, "scatter_add_rows");

    std::vector<float> y = x;
    cpu::combine_rows(r.data(), pos.data(), wgt.data(), tokens, k, len, y.data());
    F gy(x);
    cuda::combine_rows(gr.data(), gpos.data(), gw.data(), tokens, k, len, gy.data());
    expect_close(gy.download(), y, 1e-5f, "combine y");

    std::vector<float> drows(rows * len), dweight(tokens * k);
    cpu::combine_rows_backward(dy.data(), r.data(), pos.data(), wgt.data(), tokens, k, len,
                               drows.data(), dweight.data());
    F gdr(rows * len), gdw(tokens * k);
    gdr.poison();
    gdw.poison();
    cuda::combine_rows_backward(gdy.data(), gr.data(), gpos.data(), gw.data(), tokens, k, len,
                                gdr.data(), gdw.data());
    expect_close(gdr.download(), drows, 1e-6f, "combine drows");
    expect_close(gdw.download(), dweight, 1e-5f, "combine dweight");

    // bf16 rows: combine on rounded values.
    const auto rr = round_bf16(r), rx = round_bf16(x);
    auto br = to_bf16(rr), bx = to_bf16(rx);
    std::vector<float> yb = rx;
    cpu::combine_rows(rr.data(), pos.data(), wgt.data(), tokens, k, len, yb.data());
    cuda::combine_rows(br.data(), gpos.data(), gw.data(), tokens, k, len, bx.data());
    expect_close(to_host_float(bx), yb, 2e-2f, "bf16 combine y");
  }
}

TEST(CudaKernels, AdamWUpdateMatchesCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  const int64_t n = 10007;
  auto value = randn(n, g), grad = randn(n, g), m = randn(n, g, 0.1f), v = randn(n, g, 0.1f);
  for (auto& x : v) x = x * x;  // second moments are non-negative
  F gv(value), gg(grad), gm(m), gvv(v);
  const cpu::AdamWStep s{0.9f, 0.95f, 1e-8f, 1e-3f / 0.1f, 1.0f / 0.05f, 1e-3f * 0.01f};
  for (int step = 0; step < 3; ++step) {
    cpu::adamw_update(value.data(), grad.data(), m.data(), v.data(), n, s);
    cuda::adamw_update(gv.data(), gg.data(), gm.data(), gvv.data(), n, s);
  }
  expect_close(gv.download(), value, 1e-5f, "adamw value");
  expect_close(gm.download(), m, 1e-6f, "adamw m");
  expect_close(gvv.download(), v, 1e-6f, "adamw v");
}

TEST(CudaKernels, AccumulateMatchesCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  for (int64_t n : {int64_t{1}, int64_t{1000}, int64_t{300001}}) {
    auto x = randn(n, g), y = randn(n, g);
    F gx(x), gy(y);
    cpu::accumulate(x.data(), n, y.data());
    cuda::accumulate(gx.data(), n, gy.data());
    expect_close(gy.download(), y, 0.0f, "accumulate");  // one fp32 add: bit-exact
    // From bf16: the CPU adds the values the bf16 copy holds, so still bit-exact.
    const std::vector<float> xr = round_bf16(x);
    const DeviceBuffer<bf16> bx = to_bf16(x);
    cpu::accumulate(xr.data(), n, y.data());
    cuda::accumulate(bx.data(), n, gy.data());
    expect_close(gy.download(), y, 0.0f, "accumulate from bf16");
  }
}

TEST(CudaKernels, ScaleAndSumSquaresMatchCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  DeviceBuffer<double> got(2);
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{1000}, int64_t{300001}, int64_t{5000011}}) {
    auto x = randn(n, g);
    F gx(x);
    cpu::scale(x.data(), n, 0.37f);
    cuda::scale(gx.data(), n, 0.37f);
    expect_close(gx.download(), x, 0.0f, "scale");  // one fp32 multiply: bit-exact
    double want = 0.0;
    cpu::sum_squares(x.data(), n, &want);
    got.poison();
    cuda::sum_squares(gx.data(), n, got.data());
    cuda::sum_squares(gx.data(), n, got.data() + 1);
    const std::vector<double> sums = got.download();
    // Double sums of n positive terms in two orders: each within n·2⁻⁵³ of the exact
    // sum (the squares of fp32 values are exact in double).
    const double bound = 2.0 * static_cast<double>(std::max<int64_t>(n, 1)) * 0x1p-53 * want;
    EXPECT_NEAR(sums[0], want, bound) << "sum_squares n=" << n;
    EXPECT_EQ(sums[0], sums[1]) << "sum_squares is not deterministic, n=" << n;
  }
}

}  // namespace
}  // namespace paramoe

namespace paramoe {
namespace {

// The same bits on the wire as the CPU, for even and odd rows (pads included).
TEST(CudaKernels, WireBf16MatchesCpuBitForBit) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  for (int64_t cols : {int64_t{1}, int64_t{16}, int64_t{33}}) {
    const int64_t rows = 257, w = cpu::wire_bf16_cols(cols);
    const auto x = randn(rows * cols, g);
    std::vector<float> wire(rows * w), y(rows * cols);
    cpu::pack_bf16_rows(x.data(), rows, cols, wire.data());
    cpu::unpack_bf16_rows(wire.data(), rows, cols, y.data());
    F gx(x), gwire(rows * w), gy(rows * cols);
    gwire.poison();
    gy.poison();
    cuda::pack_bf16_rows(gx.data(), rows, cols, gwire.data());
    cuda::unpack_bf16_rows(gwire.data(), rows, cols, gy.data());
    const std::vector<float> got_wire = gwire.download();
    EXPECT_EQ(std::memcmp(got_wire.data(), wire.data(), wire.size() * sizeof(float)), 0)
        << "wire bits, cols " << cols;
    expect_close(gy.download(), y, 0.0f, "unpacked rows");
  }
}

TEST(CudaKernels, EmbeddingAndBiasMatchCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  const int64_t n = 300, dim = 48, vocab = 97, v0 = 30, rows = 40;  // a vocabulary slice
  std::vector<int32_t> ids(n);
  for (auto& i : ids) i = static_cast<int32_t>(g() % vocab);
  const auto table = randn(rows * dim, g), dout = randn(n * dim, g), bias = randn(dim, g);
  std::vector<float> out(n * dim), dtable = randn(rows * dim, g), y = randn(n * dim, g);
  std::vector<float> dbias = randn(dim, g);
  DeviceBuffer<int32_t> gids(ids);
  F gt(table), gout(n * dim), gdo(dout), gdt(dtable), gb(bias), gy(y), gdb(dbias);
  cpu::embedding_forward(ids.data(), n, table.data(), v0, rows, dim, out.data());
  gout.poison();
  cuda::embedding_forward(gids.data(), n, gt.data(), v0, rows, dim, gout.data());
  expect_close(gout.download(), out, 0.0f, "embedding out");
  cpu::embedding_backward(ids.data(), n, dout.data(), v0, rows, dim, dtable.data());
  cuda::embedding_backward(gids.data(), n, gdo.data(), v0, rows, dim, gdt.data());
  expect_close(gdt.download(), dtable, 1e-5f * std::sqrt(static_cast<float>(n)),
               "embedding dtable");
  cpu::bias_add(bias.data(), n, dim, y.data());
  cuda::bias_add(gb.data(), n, dim, gy.data());
  expect_close(gy.download(), y, 1e-6f, "bias_add");
  cpu::bias_backward(dout.data(), n, dim, dbias.data());
  cuda::bias_backward(gdo.data(), n, dim, gdb.data());
  expect_close(gdb.download(), dbias, 1e-5f * std::sqrt(static_cast<float>(n)), "bias dbias");
}

TEST(CudaKernels, CrossEntropyPiecesMatchCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  const int64_t n = 77, V = 1000, v0 = 2000;  // slice [2000, 3000) of a larger vocabulary
  const auto logits = randn(n * V, g, 3.0f);
  std::vector<int32_t> targets(n);
  for (int64_t i = 0; i < n; ++i)  // in the slice, outside it, or ignored
    targets[i] = i % 7 == 0 ? -1 : static_cast<int32_t>(i % 3 == 0 ? g() % 2000 : v0 + g() % V);
  // A scale above 1 keeps dlogits at the magnitude the tolerance is relative to.
  const float scale = 2.5f;
  std::vector<float> mx(n), se(n), tl(n), dl(n * V);
  DeviceBuffer<int32_t> gtg(targets);
  F gl(logits), gmx(n), gse(n), gtl(n), gdl(n * V);
  cpu::ce_row_max(logits.data(), n, V, mx.data());
  cuda::ce_row_max(gl.data(), n, V, gmx.data());
  expect_close(gmx.download(), mx, 0.0f, "ce row max");
  cpu::ce_sum_exp_and_target(logits.data(), n, V, v0, targets.data(), mx.data(), se.data(),
                             tl.data());
  gse.poison();
  gtl.poison();
  cuda::ce_sum_exp_and_target(gl.data(), n, V, v0, gtg.data(), gmx.data(), gse.data(), gtl.data());
  expect_close(gse.download(), se, 1e-5f, "ce sum exp");
  expect_close(gtl.download(), tl, 0.0f, "ce target logit");
  cpu::ce_backward(logits.data(), n, V, v0, targets.data(), mx.data(), se.data(), scale, dl.data());
  gdl.poison();
  cuda::ce_backward(gl.data(), n, V, v0, gtg.data(), gmx.data(), gse.data(), scale, gdl.data());
  expect_close(gdl.download(), dl, 1e-5f, "ce dlogits");
}

// Attention on the GPU against the CPU, causal and bidirectional with padding, in
// fp32 (bf16 null) or with bf16 products; the tolerances per tensor are the caller's.
// bf16 rounds qkv and dout first, so that both sides start from the same values.
void expect_attention_matches_cpu(std::mt19937& g, cuda::AttentionBf16Scratch* bf16,
                                  float probs_tol, float out_tol, float dqkv_tol) {
  const auto input = [&](size_t n) { return bf16 ? round_bf16(randn(n, g)) : randn(n, g); };
  for (bool causal : {true, false}) {
    SCOPED_TRACE(causal ? "causal" : "bidirectional, padded");
    cpu::AttentionShape s{3, 17, 4, 8, causal};
    const int64_t n = s.batch * s.seq, width = s.heads * s.head_dim;
    const auto qkv = input(n * 3 * width), dout = input(n * width);
    std::vector<uint8_t> valid(n, 1);
    for (int64_t j = 11; j < s.seq; ++j) valid[s.seq + j] = 0;  // sequence 1 padded after 11
    const uint8_t* mask = causal ? nullptr : valid.data();
    std::vector<float> probs(s.batch * s.heads * s.seq * s.seq), out(n * width),
        dqkv(n * 3 * width);
    DeviceBuffer<uint8_t> gv(valid);
    F gq(qkv), gp(probs.size()), go(out.size()), gdo(dout), gdq(dqkv.size()),
        ss(s.heads * s.seq * s.seq);
    cpu::attention_forward(s, qkv.data(), mask, probs.data(), out.data());
    gp.poison();
    go.poison();
    cuda::attention_forward(s, gq.data(), causal ? nullptr : gv.data(), gp.data(), go.data(), bf16);
    expect_close(gp.download(), probs, probs_tol, "attention probs");
    expect_close(go.download(), out, out_tol, "attention out");
    cpu::attention_backward(s, qkv.data(), probs.data(), dout.data(), dqkv.data());
    gdq.poison();
    cuda::attention_backward(s, gq.data(), gp.data(), gdo.data(), gdq.data(), ss.data(), bf16);
    expect_close(gdq.download(), dqkv, dqkv_tol, "attention dqkv");
  }
}

TEST(CudaKernels, AttentionMatchesCpu) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  expect_attention_matches_cpu(g, nullptr, 1e-5f, 2e-4f, 2e-4f);
}

// bf16 products (device.precision = "bf16"): with qkv and dout already rounded, the
// scores are exact products summed in fp32 and the probabilities keep the fp32
// bound's order (1e-4: tensor-core sums, unmeasured). The GPU then rounds the
// probabilities and dS to bf16 where the CPU keeps them fp32: 2⁻⁹ relative per
// operand, so out and dqkv get the bf16 storage bound, 2e-2 of the tensor's largest
// value. A product left in fp32 or fed the wrong operand is off by order 1.
TEST(CudaKernels, AttentionMatchesCpuBf16) {
  REQUIRE_GPU();
  FRESH_RNG(g);
  cuda::AttentionBf16Scratch scratch;
  expect_attention_matches_cpu(g, &scratch, 1e-4f, 2e-2f, 2e-2f);
}

}  // namespace
}  // namespace paramoe
