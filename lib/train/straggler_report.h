#pragma once
// The straggler report on each logged step: which rank held the others up, by how
// much, and in which phase. A rank's busy time is its step time less its waits on
// peers (comm/watchdog.h accounts every wait by group), so in a synchronous job the
// straggler is the busiest rank: its peers' step time goes into waiting for it.
#include <mpi.h>

#include <string>

#include "comm/watchdog.h"

namespace paramoe {

struct StragglerReport {
  int rank = -1;                         // the busiest rank; -1 with a single rank
  double busy = 0.0, median_busy = 0.0;  // seconds per step outside waits
  // The phase (compute, or a wait lane) in which it spent the most beyond the
  // median rank's time in that phase, and by how much (seconds per step).
  std::string phase;
  double phase_excess = 0.0;
  double ratio() const { return median_busy > 0.0 ? busy / median_busy : 1.0; }
};

// Collective over `world`; every rank gets the same report. `step_seconds` and
// `waited` are this rank's means per step over the logged interval.
StragglerReport straggler_report(MPI_Comm world, double step_seconds, const WaitSeconds& waited);

// Whether a report is worth a warning line, and the line. A real straggler stays
// the busiest; ranks sharing cores swap places from one short step to the next. So
// it warns once the same rank has been busier than `factor` × the median, by at
// least a tenth of the step, on kStreak reports in a row, and then every 100.
class StragglerWarning {
 public:
  static constexpr int kStreak = 3;
  explicit StragglerWarning(double factor) : factor_(factor) {}
  // "" when there is nothing to say.
  std::string observe(const StragglerReport& r, double step_seconds, int step);

 private:
  double factor_;
  int streak_ = 0, rank_ = -1;
};

// "rank 2 is busy 0.412 s per step against the median rank's 0.111 s (3.71x),
// most of it in compute (+0.301 s per step)"
std::string straggler_describe(const StragglerReport& r);

}  // namespace paramoe
