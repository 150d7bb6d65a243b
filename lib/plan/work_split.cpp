#include "plan/work_split.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "core/error.h"
#include "core/row_split.h"
#include "core/sustained_time.h"
#include "kernels/cpu/gemm.h"
#include "plan/cluster.h"

namespace paramoe {

std::vector<double> calibrate_speeds(const ProcessGrid& grid) {
  // Sustained throughput with every rank computing at once (fixed-time windows, as
  // `paramoe calibrate` times its kernels): a rank that shares its core with
  // another runs at full speed within its scheduler slices, so timing single
  // calls would not see the sharing.
  constexpr int64_t n = 256;  // 33.6 MFLOP per call
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
  const double mine =
      1.0 / sustained_seconds(grid.comm(Group::World), 3, [&] {
        cpu::gemm(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
      });
  std::vector<double> all(grid.layout().world);
  MPI_CHECK(
      MPI_Allgather(&mine, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, grid.comm(Group::World)));
  const double fastest = *std::max_element(all.begin(), all.end());
  for (double& s : all) s /= fastest;
  return all;
}

namespace {

// Each world rank's index in one of the grid's decompositions (GroupIndex::dp, ...).
std::vector<int> index_of_ranks(const Layout& l, int GroupIndex::*which) {
  std::vector<int> out(l.world);
  for (int r = 0; r < l.world; ++r) out[r] = group_index(r, l).*which;
  return out;
}

std::string shares(const char* what, int64_t total, const std::vector<double>& w) {
  std::string s = what;
  for (size_t i = 0; i < w.size(); ++i) {
    int64_t r0 = 0, n = 0;
    split_weighted(total, w, static_cast<int>(i), r0, n);
    s += i ? "/" : " ";
    s += std::to_string(n);
  }
  return s;
}

}  // namespace

WorkSplit work_split_from_speeds(std::vector<double> speeds, const std::string& source,
                                 int64_t d_hidden, bool data_centric, const Layout& l) {
  WorkSplit ws;
  ws.speeds = std::move(speeds);
  char buf[32];
  ws.describe = "split by speed: speeds";
  for (double s : ws.speeds) {
    std::snprintf(buf, sizeof buf, " %.2f", s);
    ws.describe += buf;
  }
  ws.describe += " (" + source + ");";
  if (data_centric) {
    ws.dp = slowest_speeds(ws.speeds, index_of_ranks(l, &GroupIndex::dp), l.dp());
    ws.describe += shares(" data-parallel batch shares (per 1000 rows)", 1000, ws.dp);
  } else {
    ws.esp = slowest_speeds(ws.speeds, index_of_ranks(l, &GroupIndex::esp), l.esp);
    ws.describe += shares(" ESP hidden slices", d_hidden, ws.esp);
  }
  return ws;
}

WorkSplit work_split_resolve(const Config& cfg, bool data_centric, const ProcessGrid& grid,
                             bool calibrate) {
  if (cfg.parallel.split != "speed") {
    if (calibrate)
      throw_collective(cfg.origin +
                       ": --calibrate-speed needs parallel.split = \"speed\" (it sets the shares "
                       "of work the speeds decide)");
    return WorkSplit{};
  }
  const Layout& l = grid.layout();
  if (calibrate)
    return work_split_from_speeds(calibrate_speeds(grid), "calibrated (sgemm)", cfg.moe.d_hidden,
                                  data_centric, l);
  if (cfg.plan.cluster.empty())
    throw_collective(cfg.origin +
                     ": [parallel] split = \"speed\": expected speeds from plan.cluster "
                     "([device] speeds) or from train --calibrate-speed");
  const ClusterSpec cl = cluster_load(cfg.plan.cluster);
  if (static_cast<int>(cl.speeds.size()) != l.world)
    throw_collective(cl.origin + ": device.speeds: expected one speed per rank (" +
                     std::to_string(l.world) + " for this run), got " +
                     std::to_string(cl.speeds.size()));
  return work_split_from_speeds(cl.speeds, cl.origin, cfg.moe.d_hidden, data_centric, l);
}

}  // namespace paramoe
