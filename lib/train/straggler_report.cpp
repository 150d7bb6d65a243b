#include "train/straggler_report.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "core/error.h"

namespace paramoe {
namespace {

// The lower median: the typical rank, against which the busiest is measured (with
// two ranks, the other one).
double lower_median(std::vector<double> v) {
  const size_t k = (v.size() - 1) / 2;
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

}  // namespace

StragglerReport straggler_report(MPI_Comm world, double step_seconds, const WaitSeconds& waited) {
  int size = 1;
  MPI_CHECK(MPI_Comm_size(world, &size));
  StragglerReport r;
  if (size == 1) return r;
  // Per rank: busy time, then each lane's waits.
  constexpr int kPhases = 1 + kWaitLanes;
  double mine[kPhases];
  double waits = 0.0;
  for (int l = 0; l < kWaitLanes; ++l) {
    mine[1 + l] = waited[l];
    waits += waited[l];
  }
  mine[0] = std::max(0.0, step_seconds - waits);
  std::vector<double> all(static_cast<size_t>(size) * kPhases);
  const WatchdogCollective entered(world, Group::World, "MPI_Allgather (straggler report)",
                                   8.0 * all.size());
  MPI_CHECK(MPI_Allgather(mine, kPhases, MPI_DOUBLE, all.data(), kPhases, MPI_DOUBLE, world));
  auto at = [&](int rank, int phase) { return all[static_cast<size_t>(rank) * kPhases + phase]; };
  std::vector<double> column(size);
  for (int q = 0; q < size; ++q) column[q] = at(q, 0);
  r.rank = static_cast<int>(std::max_element(column.begin(), column.end()) - column.begin());
  r.busy = column[r.rank];
  r.median_busy = lower_median(column);
  r.phase_excess = -1e300;
  for (int p = 0; p < kPhases; ++p) {
    for (int q = 0; q < size; ++q) column[q] = at(q, p);
    const double excess = at(r.rank, p) - lower_median(column);
    if (excess > r.phase_excess) {
      r.phase_excess = excess;
      r.phase = p == 0 ? "compute" : std::string(wait_lane_name(p - 1)) + " waits";
    }
  }
  return r;
}

std::string StragglerWarning::observe(const StragglerReport& r, double step_seconds, int step) {
  const bool lagging =
      r.rank >= 0 && r.ratio() > factor_ && r.busy - r.median_busy > 0.1 * step_seconds;
  streak_ = !lagging ? 0 : r.rank == rank_ ? streak_ + 1 : 1;
  rank_ = lagging ? r.rank : -1;
  if (streak_ < kStreak || (streak_ - kStreak) % 100 != 0) return "";
  char tail[96];
  std::snprintf(tail, sizeof tail, "; more than straggler.factor = %g on %d logged steps in a row",
                factor_, streak_);
  return "straggler at step " + std::to_string(step) + ": " + straggler_describe(r) + tail;
}

std::string straggler_describe(const StragglerReport& r) {
  char line[256];
  std::snprintf(line, sizeof line,
                "rank %d is busy %.3f s per step against the median rank's %.3f s (%.2fx), most "
                "of it in %s (+%.3f s per step)",
                r.rank, r.busy, r.median_busy, r.ratio(), r.phase.c_str(), r.phase_excess);
  return line;
}

}  // namespace paramoe
