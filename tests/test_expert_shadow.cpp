// Hot-expert shadowing's pieces without MPI (moe/expert_shadow.h): the setting,
// the dispatch slots, the choice, and the predictor's pricing of it. The layer's
// results with shadowing are checked by test_moe_layer (--shadow).
#include <gtest/gtest.h>

#include <algorithm>

#include "moe/expert_shadow.h"
#include "plan/predictor.h"

namespace paramoe {
namespace {

TEST(ShadowMode, ParsesTheThreeForms) {
  ShadowMode m;
  ASSERT_TRUE(shadow_parse("off", 8, m));
  EXPECT_FALSE(m.on);
  ASSERT_TRUE(shadow_parse("auto", 8, m));
  EXPECT_TRUE(m.on);
  EXPECT_EQ(m.top, 0);
  ASSERT_TRUE(shadow_parse("top:8", 8, m));
  EXPECT_EQ(m.top, 8);
  for (const char* bad : {"on", "top:", "top:0", "top:9", "top:-1", "top:1x", "Auto", ""})
    EXPECT_FALSE(shadow_parse(bad, 8, m)) << bad;
}

// E = 4 on ep = 2 (rank 0: experts 0 and 1), expert 0 shadowed: each rank has 3
// slots, its own two then the shadowed one, which only it feeds.
TEST(ShadowSlots, ShadowedExpertsFollowEachRanksOwn) {
  const ExpertPlacement pl = placement_contiguous(4, 2);
  const ShadowSlots r0 = shadow_slots(pl, {0}, 0), r1 = shadow_slots(pl, {0}, 1);
  EXPECT_EQ(r0.local_experts, 3);
  EXPECT_EQ(r0.slot_of, (std::vector<int>{2, 1, 3, 4}));
  EXPECT_EQ(r1.slot_of, (std::vector<int>{5, 1, 3, 4}));
  const ShadowSlots none = shadow_slots(pl, {}, 1);
  EXPECT_EQ(none.local_experts, 2);
  EXPECT_EQ(none.slot_of, pl.slot_of);
}

ShadowProblem problem(std::vector<float> share, int ep) {
  ShadowProblem p;
  p.share = std::move(share);
  p.rows_per_rank = 4096;
  p.ep = ep;
  p.d_model = 512;
  p.d_hidden = 2048;
  p.owner = placement_contiguous(static_cast<int>(p.share.size()), ep).owner;
  return p;
}
const ShadowCosts kCosts{100e9, 5e9, 5e-6};
std::vector<int> identity(int n) {
  std::vector<int> v(n);
  for (int i = 0; i < n; ++i) v[i] = i;
  return v;
}

TEST(ShadowChoose, UniformSharesShadowNothing) {
  const ShadowProblem p = problem(std::vector<float>(8, 0.125f), 4);
  EXPECT_TRUE(shadow_choose(p, kCosts, ShadowMode{true, 0}, identity(8)).empty());
}

TEST(ShadowChoose, AHotExpertIsShadowedWhenItPays) {
  // Expert 5 takes half of the assignments.
  std::vector<float> share(8, 0.5f / 7);
  share[5] = 0.5f;
  const ShadowProblem p = problem(share, 4);
  const std::vector<int> s = shadow_choose(p, kCosts, ShadowMode{true, 0}, identity(8));
  EXPECT_NE(std::find(s.begin(), s.end(), 5), s.end());
  EXPECT_LT(shadow_step_seconds(p, kCosts, s), shadow_step_seconds(p, kCosts, {}));
  // So few rows that the weights cost more than the skew: nothing.
  ShadowProblem few = p;
  few.rows_per_rank = 16;
  EXPECT_TRUE(shadow_choose(few, kCosts, ShadowMode{true, 0}, identity(8)).empty());
  // One EP rank: nothing to shadow to.
  EXPECT_TRUE(shadow_choose(problem(share, 1), kCosts, ShadowMode{true, 0}, identity(8)).empty());
}

TEST(ShadowChoose, TopNTakesTheHottestInSlotOrder) {
  const std::vector<float> share = {0.1f, 0.3f, 0.05f, 0.05f, 0.3f, 0.05f, 0.1f, 0.05f};
  const ShadowProblem p = problem(share, 2);
  // Slots reversed: expert e at slot 7 − e.
  std::vector<int> slot_of(8);
  for (int e = 0; e < 8; ++e) slot_of[e] = 7 - e;
  EXPECT_EQ(shadow_choose(p, kCosts, ShadowMode{true, 2}, slot_of), (std::vector<int>{4, 1}));
  // Ties go to the lower id: 1 and 4 (0.3), then 0 (0.1, before 6).
  EXPECT_EQ(shadow_choose(p, kCosts, ShadowMode{true, 3}, identity(8)),
            (std::vector<int>{0, 1, 4}));
}

// Two equally hot experts on different ranks gain only together: the choice looks
// past the first, which alone leaves the other rank as busy as before.
TEST(ShadowChoose, TwoHotRanksAreShadowedTogether) {
  std::vector<float> share(8, 0.2f / 6);  // ep = 4: ranks 0 and 2 hold the hot ones
  share[0] = share[4] = 0.4f;
  const ShadowProblem p = problem(share, 4);
  EXPECT_GE(shadow_step_seconds(p, kCosts, {0}), shadow_step_seconds(p, kCosts, {}));
  const std::vector<int> s = shadow_choose(p, kCosts, ShadowMode{true, 0}, identity(8));
  EXPECT_NE(std::find(s.begin(), s.end(), 0), s.end());
  EXPECT_NE(std::find(s.begin(), s.end(), 4), s.end());
}

ClusterSpec one_node(double link_GBps) {
  ClusterSpec c;
  c.nodes = 1;
  c.ranks_per_node = 4;
  c.intra = {link_GBps, 5};
  c.inter = c.intra;
  c.gemm_TFLOPs = 0.1;
  c.memory_GBps = 10;
  c.launch_us = 5;
  return c;
}

LayerShape layer(std::vector<float> share, const std::string& shadow) {
  LayerShape s;
  s.tokens = 8192;
  s.d_model = 512;
  s.d_hidden = 2048;
  s.experts = 8;
  s.top_k = 2;
  s.expert_share = std::move(share);
  s.shadow = shadow;
  return s;
}

// The predictor prices skew at the busiest rank and shadowing as the executor
// would choose it: a hot expert costs time, shadowing wins most of it back, and
// uniform routing leaves the prediction as it was.
TEST(ShadowPrediction, SkewCostsAndShadowingWinsItBack) {
  const Layout l{4, 1, 4, 1, 4};
  const ClusterSpec c = one_node(5.0);
  std::vector<float> hot(8, 0.5f / 7);
  hot[0] = 0.5f;
  const Schedule plain = schedule_build("s1"), shadowed = schedule_build("s1", 1, false, true);
  const Prediction uniform = predict_layer(plain, layer({}, "off"), l, c);
  const Prediction skewed = predict_layer(plain, layer(hot, "off"), l, c);
  const Prediction fixed = predict_layer(shadowed, layer(hot, "auto"), l, c);
  EXPECT_GT(skewed.total(), 1.5 * uniform.total());
  EXPECT_GT(fixed.shadowed, 0);
  EXPECT_LT(fixed.total(), 0.8 * skewed.total());
  const Prediction uniform_auto = predict_layer(shadowed, layer({}, "auto"), l, c);
  EXPECT_EQ(uniform_auto.shadowed, 0);
  EXPECT_NEAR(uniform_auto.total(), uniform.total(), 1e-9);
  // The steps are priced only where the schedule has them.
  EXPECT_EQ(predict_layer(plain, layer(hot, "auto"), l, c).shadowed, 0);
}

}  // namespace
}  // namespace paramoe
