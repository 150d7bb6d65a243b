#include "plan/testbed_plan.h"

#include <algorithm>
#include <charconv>

#include "core/error.h"

namespace paramoe {

namespace {

constexpr double kMinBits = 1e3, kMaxBits = 1e11;  // what `tc ... htb rate` accepts here

double parse_dilation(const std::string& text) {
  double x = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, x);
  if (ec != std::errc() || p != end || !(x >= 1e-3))
    throw Error("--dilate: expected \"auto\" or a number >= 0.001, got \"" + text + "\"");
  return x;
}

double shaped_bits(const ClusterSpec& profile, const char* section, double GBps, double dilation) {
  const double bits = GBps * 8e9 / dilation;
  if (bits < kMinBits || bits > kMaxBits)
    throw Error(profile.origin + ": [" + section + "] bandwidth_GBps = " + std::to_string(GBps) +
                " at dilation " + std::to_string(dilation) + " gives " + std::to_string(bits) +
                " bit/s; expected 1 kbit/s to 100 Gbit/s once dilated (choose another --dilate)");
  return bits;
}

}  // namespace

void testbed_check_ranks(int nodes, int ranks) {
  if (nodes < 1) throw Error("--nodes: expected an integer >= 1, got " + std::to_string(nodes));
  if (ranks < nodes || ranks % nodes != 0)
    throw Error("--ranks " + std::to_string(ranks) + " does not divide into --nodes " +
                std::to_string(nodes) + "; expected a multiple of the node count");
}

TestbedPlan testbed_plan(const ClusterSpec& profile, int nodes, int ranks,
                         const std::string& dilation, const ClusterSpec* local) {
  testbed_check_ranks(nodes, ranks);
  TestbedPlan t;
  t.profile = profile.name;
  t.nodes = nodes;
  t.ranks_per_node = ranks / nodes;
  if (dilation == "auto") {
    if (!local)
      throw Error(
          "--dilate auto: needs this machine's calibration (--local FILE from "
          "`paramoe calibrate` at the testbed's rank count)");
    if (local->world() != ranks)
      throw Error(local->origin + ": calibrated on " + std::to_string(local->world()) +
                  " ranks; expected " + std::to_string(ranks) +
                  ", the testbed's, so that ranks share the cores as they will there");
    // A calibration with per-rank speeds holds speed-1 rates: the slowest rank
    // sets the pace.
    double slowest = 1;
    for (double s : local->speeds) slowest = std::min(slowest, s);
    t.local_gemm_TFLOPs = local->gemm_TFLOPs * slowest;
    t.dilation = profile.gemm_TFLOPs / t.local_gemm_TFLOPs;
  } else {
    t.dilation = parse_dilation(dilation);
  }
  t.intra_bits_per_s = shaped_bits(profile, "intra", profile.intra.bandwidth_GBps, t.dilation);
  t.inter_bits_per_s = shaped_bits(profile, "inter", profile.inter.bandwidth_GBps, t.dilation);
  t.intra_latency_us = profile.intra.latency_us * t.dilation;
  t.inter_latency_us = profile.inter.latency_us * t.dilation;
  return t;
}

}  // namespace paramoe
