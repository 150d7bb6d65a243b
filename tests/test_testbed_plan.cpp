// The emulated testbed's dilation and shaped rates (plan/testbed_plan.h), worked
// by hand, and the inputs it must refuse before cluster.sh makes any namespace.
#include <gtest/gtest.h>

#include "core/error.h"
#include "plan/cluster.h"
#include "plan/testbed_plan.h"

namespace paramoe {
namespace {

// PipeMoE's 2080Ti testbed (inputs/clusters/pipemoe-2080ti.toml), shortened.
ClusterSpec profile() {
  return cluster_parse(R"(
[cluster]
name = "2080ti"
nodes = 8
ranks_per_node = 4
[intra]
bandwidth_GBps = 10
latency_us = 10
[inter]
bandwidth_GBps = 2.8
latency_us = 209
[device]
gemm_TFLOPs = 26.8
memory_GBps = 500
)",
                       "profile.toml");
}

// This machine at 4 ranks: 0.04 TFLOP/s per rank, one rank at half speed.
ClusterSpec local(int nodes, int rpn, bool uneven) {
  std::string text = "[cluster]\nnodes = " + std::to_string(nodes) +
                     "\nranks_per_node = " + std::to_string(rpn) +
                     "\n[intra]\nbandwidth_GBps = 2\nlatency_us = 5\n[inter]\nbandwidth_GBps = "
                     "2\nlatency_us = 5\n[device]\ngemm_TFLOPs = 0.04\nmemory_GBps = 7\n";
  if (uneven) text += "speeds = [1, 1, 0.5, 1]\n";
  return cluster_parse(text, "local.toml");
}

TEST(TestbedPlan, AutoDilationIsTheDevicesRateOverThisMachinesPerRank) {
  const ClusterSpec l = local(2, 2, false);
  const TestbedPlan t = testbed_plan(profile(), 2, 4, "auto", &l);
  EXPECT_EQ(t.ranks_per_node, 2);
  EXPECT_DOUBLE_EQ(t.dilation, 26.8 / 0.04);                    // 670
  EXPECT_DOUBLE_EQ(t.intra_bits_per_s, 10 * 8e9 / t.dilation);  // 119.4 Mbit/s
  EXPECT_DOUBLE_EQ(t.inter_bits_per_s, 2.8 * 8e9 / t.dilation);
  EXPECT_DOUBLE_EQ(t.inter_latency_us, 209 * t.dilation);
}

TEST(TestbedPlan, TheSlowestRankSetsThePace) {
  const ClusterSpec l = local(2, 2, true);
  EXPECT_DOUBLE_EQ(testbed_plan(profile(), 2, 4, "auto", &l).dilation, 26.8 / 0.02);
}

TEST(TestbedPlan, AGivenFactor) {
  const TestbedPlan t = testbed_plan(profile(), 2, 8, "1000", nullptr);
  EXPECT_EQ(t.ranks_per_node, 4);
  EXPECT_DOUBLE_EQ(t.intra_bits_per_s, 80e6);
  EXPECT_DOUBLE_EQ(t.inter_bits_per_s, 22.4e6);
}

void expect_error(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one naming " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(TestbedPlan, RefusesWhatCannotBeBuilt) {
  const ClusterSpec p = profile();
  const ClusterSpec l8 = local(2, 4, false);
  expect_error([&] { testbed_plan(p, 2, 3, "1000", nullptr); }, "does not divide into --nodes");
  expect_error([&] { testbed_plan(p, 0, 4, "1000", nullptr); }, "--nodes");
  expect_error([&] { testbed_plan(p, 2, 4, "auto", nullptr); }, "--dilate auto: needs");
  expect_error([&] { testbed_plan(p, 2, 4, "auto", &l8); }, "local.toml: calibrated on 8 ranks");
  expect_error([&] { testbed_plan(p, 2, 4, "fast", nullptr); }, "--dilate: expected");
  expect_error([&] { testbed_plan(p, 2, 4, "0", nullptr); }, "--dilate: expected");
  expect_error([&] { testbed_plan(p, 2, 4, "1e-9", nullptr); }, "--dilate: expected");
  // 10 GB/s undilated is 80 Gbit/s, within tc's reach; at 0.001 it is not.
  expect_error([&] { testbed_plan(p, 2, 4, "0.001", nullptr); },
               "profile.toml: [intra] bandwidth_GBps");
}

TEST(TestbedPlan, ProfileErrorsNameTheKey) {
  expect_error(
      [] {
        cluster_parse(
            "[cluster]\nnodes = 2\nranks_per_node = 2\n[intra]\n"
            "bandwidth_GBps = -1\nlatency_us = 1\n[inter]\nbandwidth_GBps = "
            "1\nlatency_us = 1\n[device]\ngemm_TFLOPs = 1\nmemory_GBps = 1\n",
            "bad.toml");
      },
      "intra.bandwidth_GBps: expected a number > 0");
}

}  // namespace
}  // namespace paramoe
