// What lib/plan decides for a run, on data of known answer: the calibration fits
// (calibration_fit.h), the per-layer "auto" choice (schedule_choice.h) and the
// speed-proportional work split (work_split.h). One process, no collective.
#include <gtest/gtest.h>

#include <numeric>

#include "comm/a2a_simulate.h"
#include "core/rng.h"
#include "plan/calibration_fit.h"
#include "plan/schedule_choice.h"
#include "plan/traffic.h"
#include "plan/work_split.h"

namespace paramoe {
namespace {

ClusterSpec two_nodes_of_two() {
  ClusterSpec c;
  c.name = "fit-test";
  c.nodes = 2;
  c.ranks_per_node = 2;
  c.intra = {20, 0};
  c.inter = {2, 0};
  c.gemm_TFLOPs = 0.05;
  c.memory_GBps = 10;
  c.activation_Gps = 0.5;
  c.launch_us = 3;
  return c;
}

TEST(LeastSquares, SolvesAnOverdeterminedConsistentSystem) {
  // r = 2·a0 − 3·a1 + 0.5·a2 on random rows.
  std::vector<std::array<double, 3>> a;
  std::vector<double> r;
  for (int i = 0; i < 12; ++i) {
    const std::array<double, 3> row{normal01(7, 1, i), normal01(7, 2, i), normal01(7, 3, i)};
    a.push_back(row);
    r.push_back(2 * row[0] - 3 * row[1] + 0.5 * row[2]);
  }
  std::array<double, 3> x{};
  ASSERT_TRUE(least_squares(a, r, {true, true, true}, x));
  EXPECT_NEAR(x[0], 2, 1e-9);
  EXPECT_NEAR(x[1], -3, 1e-9);
  EXPECT_NEAR(x[2], 0.5, 1e-9);
  // Columns left out stay 0.
  ASSERT_TRUE(least_squares(a, r, {true, false, true}, x));
  EXPECT_EQ(x[1], 0.0);
}

TEST(LeastSquares, RefusesASingularSystem) {
  const std::vector<std::array<double, 3>> a = {{1, 2, 0}, {2, 4, 0}, {3, 6, 0}};
  std::array<double, 3> x{};
  EXPECT_FALSE(least_squares(a, {1, 2, 3}, {true, true, false}, x));
}

TEST(GemmLineFit, RecoversLatencyAndRate) {
  const double alpha = 4e-6, beta = 1 / 80e9;  // 4 us, 80 GFLOP/s
  std::vector<double> f, t;
  for (double m : {32.0, 128.0, 512.0, 2048.0})
    for (double w : {128.0, 512.0}) {
      f.push_back(2 * m * w * w);
      t.push_back(alpha + beta * f.back());
    }
  double a = 0, b = 0;
  ASSERT_TRUE(gemm_line_fit(f, t, a, b));
  EXPECT_NEAR(a / alpha, 1, 1e-6);
  EXPECT_NEAR(b / beta, 1, 1e-6);
}

// Layers "measured" on a cluster whose latency and scales are known: the fit, made
// with the unscaled rates, must find them again. The predictor is nearly linear in
// all three, so the recovery is close but not exact.
TEST(ExecutorFitter, RecoversLatencyComputeAndBandwidthScales) {
  const ClusterSpec base = two_nodes_of_two();
  ClusterSpec truth = scale_links(scale_compute(base, 1.6), 1.3);
  truth.intra.latency_us = truth.inter.latency_us = 40;
  ExecutorFitter fitter(base);
  const Layout layout{4, 1, 4, 1, 2};
  for (int64_t tokens : {64, 256, 1024, 4096})
    for (int d : {128, 256})
      for (const char* schedule : {"s1", "dc"}) {
        LayerShape s;
        s.tokens = tokens;
        s.d_model = d;
        s.d_hidden = 4 * d;
        s.experts = 8;
        s.top_k = 2;
        fitter.add(schedule, s, layout,
                   predict_layer(schedule_build(schedule), s, layout, truth).total());
      }
  const ExecutorFit fit = fitter.solve();
  EXPECT_EQ(fit.layers, 16);
  EXPECT_NEAR(fit.latency_us, 40, 4);
  EXPECT_NEAR(fit.compute_scale, 1.6, 0.08);
  EXPECT_NEAR(fit.bandwidth_scale, 1.3, 0.07);
}

TEST(ExecutorFitter, NoRowsLeavesTheRatesAsMeasured) {
  const ExecutorFit fit = ExecutorFitter(two_nodes_of_two()).solve();
  EXPECT_EQ(fit.layers, 0);
  EXPECT_EQ(fit.latency_us, 0);
  EXPECT_EQ(fit.compute_scale, 1);
  EXPECT_EQ(fit.bandwidth_scale, 1);
}

MoeConfig auto_moe() {
  MoeConfig m;
  m.d_model = 256;
  m.d_hidden = 1024;
  m.num_experts = 8;
  m.top_k = 2;
  m.schedule = "auto";
  return m;
}

// The incast penalty behind a measured native/ordered ratio on hot traffic comes
// back from the ratio the model gives under it; a ratio the model reaches without
// one gives 0.
TEST(FitIncastPenalty, RecoversThePenaltyBehindARatio) {
  const TrafficMatrix m =
      make_traffic({.kind = "hot", .ranks = 4, .experts = 16, .tokens = 1024, .seed = 1});
  A2aLinkModel link;
  link.bytes_per_s = {5e7};
  link.latency_s = 2e-3;
  Bandwidths bw(4, 5e7 / 4096);
  const double ordered = simulate_order(order_greedy(m, bw), 4, bw, 2e-3);
  for (const double c : {0.1, 0.4, 2.0}) {
    const double ratio = simulate_all_at_once(m, bw, 2e-3, c) / ordered;
    EXPECT_NEAR(fit_incast_penalty(m, 4096, link, ratio), c, 1e-6 * c) << c;
  }
  const double free_ratio = simulate_all_at_once(m, bw, 2e-3) / ordered;
  EXPECT_EQ(fit_incast_penalty(m, 4096, link, 0.9 * free_ratio), 0.0);
}

TEST(MoeLayerResolve, AutoPicksThePredictedBestAndLeavesTheGivenConfigAlone) {
  const MoeConfig given = auto_moe();
  const ClusterSpec cluster = two_nodes_of_two();
  const Layout layout{4, 2, 2, 2, 2};
  const LayerShape shape = layer_shape(given, 2048);
  std::string line;
  const MoeConfig chosen = moe_layer_resolve(given, shape, layout, cluster, line);
  std::string why;
  const std::vector<ScheduleOption> options = schedule_options(shape, layout, cluster);
  const ScheduleOption& best = schedule_best(options, why);
  EXPECT_EQ(chosen.schedule, best.name);
  EXPECT_EQ(chosen.chunks, best.chunks);
  EXPECT_EQ(chosen.expert_mode, "model-centric");
  EXPECT_EQ(given.schedule, "auto");
  EXPECT_NE(line.find("schedule auto: "), std::string::npos) << line;
  EXPECT_NE(line.find(why), std::string::npos) << line;
}

TEST(MoeLayerResolve, AutoExpertModeWeighsDataCentricToo) {
  MoeConfig given = auto_moe();
  given.schedule = "s1";
  given.expert_mode = "auto";
  const Layout layout{4, 1, 4, 1, 2};
  // Few tokens and big experts favour moving tokens; many tokens and small experts,
  // moving the weights. Each answer must be the cheaper of the two predictions.
  for (int64_t tokens : {64, 65536}) {
    const LayerShape shape = layer_shape(given, tokens);
    std::string line;
    const MoeConfig chosen = moe_layer_resolve(given, shape, layout, two_nodes_of_two(), line);
    const double s1 =
        predict_layer(schedule_build("s1"), shape, layout, two_nodes_of_two()).total();
    const double dc =
        predict_layer(schedule_build("dc"), shape, layout, two_nodes_of_two()).total();
    EXPECT_EQ(chosen.data_centric(), dc < s1) << tokens << " tokens: " << line;
    EXPECT_EQ(chosen.schedule, "s1");
  }
}

TEST(MoeLayerResolve, ConfigWithoutAutoComesBackUnchanged) {
  MoeConfig given = auto_moe();
  given.schedule = "s2";
  given.chunks = 4;
  std::string line = "stale";
  const MoeConfig chosen = moe_layer_resolve(given, layer_shape(given, 512), Layout{4, 2, 2, 2, 2},
                                             two_nodes_of_two(), line);
  EXPECT_EQ(chosen.schedule, "s2");
  EXPECT_EQ(chosen.chunks, 4);
  EXPECT_TRUE(line.empty());
}

TEST(WorkSplit, ModelCentricSplitsTheHiddenDimensionBySlowestHolder) {
  // mp = esp = 2, ep = 2: ESP index 0 is held by ranks 0 and 2, index 1 by 1 and 3.
  const Layout l{4, 2, 2, 2, 0};
  const WorkSplit ws = work_split_from_speeds({1.0, 0.5, 0.25, 1.0}, "test", 1000, false, l);
  ASSERT_EQ(ws.esp.size(), 2u);
  EXPECT_DOUBLE_EQ(ws.esp[0], 0.25);
  EXPECT_DOUBLE_EQ(ws.esp[1], 0.5);
  EXPECT_TRUE(ws.dp.empty());
  EXPECT_NE(ws.describe.find("ESP hidden slices 333/667"), std::string::npos) << ws.describe;
}

TEST(WorkSplit, DataCentricSplitsTheBatchByTheSlowestMpRank) {
  const Layout l{4, 2, 2, 2, 0};  // dp index: rank / mp
  const WorkSplit ws = work_split_from_speeds({1.0, 0.5, 1.0, 1.0}, "test", 1000, true, l);
  ASSERT_EQ(ws.dp.size(), 2u);
  EXPECT_DOUBLE_EQ(ws.dp[0], 0.5);
  EXPECT_DOUBLE_EQ(ws.dp[1], 1.0);
  EXPECT_TRUE(ws.esp.empty());
}

}  // namespace
}  // namespace paramoe
