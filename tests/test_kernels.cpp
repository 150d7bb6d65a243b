// CPU kernels against naive loops and finite differences, on random inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/activation.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/attention_cached.h"
#include "kernels/cpu/expert_ops.h"
#include "kernels/cpu/layernorm.h"
#include "kernels/cpu/router_ops.h"
#include "kernels/cpu/wire_bf16.h"
#include "random_normal.h"

namespace paramoe::cpu {
namespace {

// Expert 1 gets no rows: an expert no token picks is a normal case.
const std::vector<int64_t> kOffsets = {0, 5, 5, 12, 20};
constexpr int64_t kE = 4, kN = 20, kK = 7, kM = 9;

// y may be scratch never written: with a bias and no accumulation, what was there
// is overwritten, not scaled by zero (0·NaN is NaN).
TEST(ExpertOps, EsmmWithBiasOverwritesUnwrittenRows) {
  auto x = randn(kN * kK, 1), w = randn(kE * kK * kM, 2), b = randn(kE * kM, 3);
  std::vector<float> y(kN * kM), garbage(kN * kM, std::numeric_limits<float>::quiet_NaN());
  esmm(x.data(), w.data(), b.data(), kOffsets.data(), kE, kK, kM, false, false, y.data());
  esmm(x.data(), w.data(), b.data(), kOffsets.data(), kE, kK, kM, false, false, garbage.data());
  EXPECT_EQ(std::memcmp(y.data(), garbage.data(), y.size() * sizeof(float)), 0);
}

TEST(ExpertOps, EsmmMatchesNaive) {
  auto x = randn(kN * kK, 1), w = randn(kE * kK * kM, 2), b = randn(kE * kM, 3);
  std::vector<float> y(kN * kM), yt(kN * kK);
  esmm(x.data(), w.data(), b.data(), kOffsets.data(), kE, kK, kM, false, false, y.data());
  auto dy = randn(kN * kM, 4);
  esmm(dy.data(), w.data(), nullptr, kOffsets.data(), kE, kM, kK, true, false, yt.data());
  for (int64_t e = 0; e < kE; ++e)
    for (int64_t i = kOffsets[e]; i < kOffsets[e + 1]; ++i) {
      for (int64_t j = 0; j < kM; ++j) {
        double s = b[e * kM + j];
        for (int64_t c = 0; c < kK; ++c) s += x[i * kK + c] * w[(e * kK + c) * kM + j];
        EXPECT_NEAR(y[i * kM + j], s, 1e-5 * (1 + std::abs(s)));
      }
      for (int64_t c = 0; c < kK; ++c) {
        double s = 0;
        for (int64_t j = 0; j < kM; ++j) s += dy[i * kM + j] * w[(e * kK + c) * kM + j];
        EXPECT_NEAR(yt[i * kK + c], s, 1e-5 * (1 + std::abs(s)));
      }
    }
}

TEST(ExpertOps, EstmmAndEssMatchNaive) {
  auto a = randn(kN * kK, 5), b = randn(kN * kM, 6);
  std::vector<float> dw(kE * kK * kM, 123.0f), db(kE * kM, 123.0f);  // overwritten
  estmm(a.data(), b.data(), kOffsets.data(), kE, kK, kM, false, dw.data());
  ess(b.data(), kOffsets.data(), kE, kM, false, db.data());
  for (int64_t e = 0; e < kE; ++e)
    for (int64_t j = 0; j < kM; ++j) {
      double sb = 0;
      for (int64_t i = kOffsets[e]; i < kOffsets[e + 1]; ++i) sb += b[i * kM + j];
      EXPECT_NEAR(db[e * kM + j], sb, 1e-5);
      for (int64_t c = 0; c < kK; ++c) {
        double s = 0;
        for (int64_t i = kOffsets[e]; i < kOffsets[e + 1]; ++i) s += a[i * kK + c] * b[i * kM + j];
        EXPECT_NEAR(dw[(e * kK + c) * kM + j], s, 1e-5 * (1 + std::abs(s)));
      }
    }
}

TEST(Activation, BackwardMatchesFiniteDifference) {
  auto a = randn(64, 7), g = randn(64, 8), dh = randn(64, 9);
  std::vector<float> da(64), dg(64), ap(64), am(64), hp(64), hm(64);
  const float h = 1e-2f;
  gelu_backward(a.data(), dh.data(), 64, da.data());
  for (int i = 0; i < 64; ++i) {
    float p = a[i] + h, m = a[i] - h, fp, fm;
    gelu_forward(&p, 1, &fp);
    gelu_forward(&m, 1, &fm);
    EXPECT_NEAR(da[i], dh[i] * (fp - fm) / (2 * h), 1e-3 * (1 + std::abs(dh[i])));
  }
  swiglu_backward(a.data(), g.data(), dh.data(), 64, da.data(), dg.data());
  for (int i = 0; i < 64; ++i) {
    float p = a[i] + h, m = a[i] - h, fp, fm;
    swiglu_forward(&p, &g[i], 1, &fp);
    swiglu_forward(&m, &g[i], 1, &fm);
    EXPECT_NEAR(da[i], dh[i] * (fp - fm) / (2 * h), 2e-3 * (1 + std::abs(dh[i] * g[i])));
    float silu;
    float one = 1.0f;
    swiglu_forward(&a[i], &one, 1, &silu);
    EXPECT_NEAR(dg[i], dh[i] * silu, 1e-5 * (1 + std::abs(dh[i])));
  }
}

TEST(LayerNorm, BackwardMatchesFiniteDifference) {
  const int64_t R = 3, D = 8;
  auto x = randn(R * D, 10), gamma = randn(D, 11), beta = randn(D, 12), dy = randn(R * D, 13);
  std::vector<float> y(R * D), mean(R), rstd(R), dx(R * D), dgamma(D, 0), dbeta(D, 0);
  layernorm_forward(x.data(), gamma.data(), beta.data(), R, D, 1e-5f, y.data(), mean.data(),
                    rstd.data());
  layernorm_backward(x.data(), gamma.data(), mean.data(), rstd.data(), dy.data(), R, D, dx.data(),
                     dgamma.data(), dbeta.data());
  auto loss = [&](const std::vector<float>& xx, const std::vector<float>& gg) {
    std::vector<float> yy(R * D), m(R), r(R);
    layernorm_forward(xx.data(), gg.data(), beta.data(), R, D, 1e-5f, yy.data(), m.data(),
                      r.data());
    double s = 0;
    for (int64_t i = 0; i < R * D; ++i) s += yy[i] * dy[i];
    return s;
  };
  const float h = 1e-2f;
  for (int64_t i = 0; i < R * D; ++i) {
    auto xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    EXPECT_NEAR(dx[i], (loss(xp, gamma) - loss(xm, gamma)) / (2 * h), 5e-3);
  }
  for (int64_t i = 0; i < D; ++i) {
    auto gp = gamma, gm = gamma;
    gp[i] += h;
    gm[i] -= h;
    EXPECT_NEAR(dgamma[i], (loss(x, gp) - loss(x, gm)) / (2 * h), 5e-3);
  }
}

TEST(RouterOps, TopkDescendingWithLowerIndexOnTies) {
  const std::vector<float> p = {0.1f, 0.3f, 0.3f, 0.2f, 0.1f};
  std::vector<int32_t> idx(3);
  std::vector<float> val(3);
  topk_rows(p.data(), 1, 5, 3, idx.data(), val.data());
  EXPECT_EQ(idx, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_FLOAT_EQ(val[2], 0.2f);
}

TEST(RouterOps, SoftmaxRowsSumToOneAndLse) {
  auto l = randn(5 * 6, 14);
  std::vector<float> p(30), lse(5);
  softmax_lse_forward(l.data(), 5, 6, p.data(), lse.data());
  for (int t = 0; t < 5; ++t) {
    double s = 0, e = 0;
    for (int j = 0; j < 6; ++j) {
      s += p[t * 6 + j];
      e += std::exp(static_cast<double>(l[t * 6 + j]));
    }
    EXPECT_NEAR(s, 1.0, 1e-6);
    EXPECT_NEAR(lse[t], std::log(e), 1e-5);
  }
}

// bf16 on the wire: round to nearest, ties to even (as torch's .bfloat16() and
// CUDA's __float2bfloat16), two per wire float, odd rows padded with zero. The
// expected values are torch.tensor(inputs).bfloat16().float() (python3-torch).
// Decoding over a KV cache (a prompt of 5, then one position at a time, then 2)
// gives each position the output that causal attention over the whole sequence
// gives it. The sums run in another order (a row of scores per step, not a
// block), so agreement is to fp32 rounding: 1e-5 on outputs of size ~1.
TEST(Attention, CachedDecodingMatchesFullCausalAttention) {
  const int64_t B = 2, S = 9, heads = 3, hd = 4, width = heads * hd;
  const std::vector<float> qkv = randn(B * S * 3 * width, 31);
  std::vector<float> probs(B * heads * S * S), full(B * S * width);
  attention_forward(AttentionShape{B, S, heads, hd, true}, qkv.data(), nullptr, probs.data(),
                    full.data());
  std::vector<float> kv(B * S * 2 * width, std::numeric_limits<float>::quiet_NaN());
  int64_t past = 0;
  for (const int64_t fresh : {5, 1, 1, 2}) {
    std::vector<float> rows(B * fresh * 3 * width), out(B * fresh * width);
    for (int64_t b = 0; b < B; ++b)
      std::memcpy(rows.data() + b * fresh * 3 * width, qkv.data() + (b * S + past) * 3 * width,
                  sizeof(float) * fresh * 3 * width);
    attention_cached_forward(CachedAttentionShape{B, past, fresh, S, heads, hd}, rows.data(),
                             kv.data(), out.data());
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < fresh; ++i)
        for (int64_t c = 0; c < width; ++c)
          EXPECT_NEAR(out[(b * fresh + i) * width + c], full[(b * S + past + i) * width + c], 1e-5)
              << "sequence " << b << " position " << past + i;
    past += fresh;
  }
}

TEST(WireBf16, RoundsToNearestEvenAndPadsOddRows) {
  const float inf = std::numeric_limits<float>::infinity();
  const float one_ulp = std::ldexp(1.0f, -7);  // bf16's spacing in [1, 2)
  // {input, its bf16 value}
  const std::vector<std::pair<float, float>> cases = {
      {1.0f, 1.0f},
      {1.0f + std::ldexp(1.0f, -8), 1.0f},                                    // tie: to even (down)
      {1.0f + 3 * std::ldexp(1.0f, -8), 1.0f + 2 * one_ulp},                  // tie: to even (up)
      {1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20), 1.0f + one_ulp},  // above the tie
      {-2.5f, -2.5f},
      {inf, inf},
      {-inf, -inf},
      {std::numeric_limits<float>::max(), inf},          // rounds past bf16's largest finite value
      {std::ldexp(1.0f, -130), std::ldexp(1.0f, -130)},  // subnormal, exactly representable
  };
  const int64_t cols = static_cast<int64_t>(cases.size());  // 9: odd, so one pad slot
  std::vector<float> x(2 * cols), want(2 * cols), y(2 * cols, -1.0f);
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      x[r * cols + c] = (r ? -1.0f : 1.0f) * cases[c].first;
      want[r * cols + c] = (r ? -1.0f : 1.0f) * cases[c].second;
    }
  const int64_t w = cpu::wire_bf16_cols(cols);
  ASSERT_EQ(w, 5);
  std::vector<float> wire(2 * w, std::nanf(""));
  cpu::pack_bf16_rows(x.data(), 2, cols, wire.data());
  cpu::unpack_bf16_rows(wire.data(), 2, cols, y.data());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], want[i]) << "value " << i;
  for (int64_t r = 0; r < 2; ++r) {  // the pad: the high half of each row's last float
    uint32_t last;
    std::memcpy(&last, &wire[r * w + w - 1], 4);
    EXPECT_EQ(last >> 16, 0u) << "row " << r;
  }
  const float nan = std::nanf("");
  float back = 0;
  cpu::pack_bf16_rows(&nan, 1, 1, wire.data());
  cpu::unpack_bf16_rows(wire.data(), 1, 1, &back);
  EXPECT_TRUE(std::isnan(back));
}

}  // namespace
}  // namespace paramoe::cpu
