// The straggler report's arithmetic at 2 and 4 ranks: each rank reports made-up
// per-step times, so the busiest rank, the median and the phase are known exactly.
#include <gtest/gtest.h>
#include <mpi.h>

#include "tests/mpi_test_args.h"
#include "train/straggler_report.h"

namespace paramoe {
namespace {

using test::comm_rank;
using test::comm_size;

// Every step lasts 1 s. The last rank computes 0.8 s of it and waits 0.2 s on
// the EP group; every other rank computes 0.2 s and waits the rest on EP.
TEST(StragglerReport, NamesTheBusiestRankAndThePhase) {
  const int me = comm_rank(), n = comm_size();
  WaitSeconds waited{};
  const bool slow = me == n - 1;
  waited[wait_lane(Group::Ep)] = slow ? 0.2 : 0.8;
  const StragglerReport r = straggler_report(MPI_COMM_WORLD, 1.0, waited);
  if (n == 1) {
    EXPECT_EQ(r.rank, -1);
    return;
  }
  EXPECT_EQ(r.rank, n - 1);
  EXPECT_DOUBLE_EQ(r.busy, 0.8);
  EXPECT_DOUBLE_EQ(r.median_busy, 0.2);
  EXPECT_DOUBLE_EQ(r.ratio(), 4.0);
  EXPECT_EQ(r.phase, "compute");
  EXPECT_NEAR(r.phase_excess, 0.6, 1e-12);
  EXPECT_EQ(straggler_describe(r),
            "rank " + std::to_string(n - 1) +
                " is busy 0.800 s per step against the median rank's "
                "0.200 s (4.00x), most of it in compute (+0.600 s per step)");
}

// Time rank 0 spends waiting (here on the disk) is not busy time: the busiest
// rank is another one, and its excess is compute.
TEST(StragglerReport, WaitsDoNotCountAsBusy) {
  const int me = comm_rank(), n = comm_size();
  if (n == 1) GTEST_SKIP() << "needs two ranks";
  WaitSeconds waited{};
  waited[wait_lane(Group::Mp)] = 0.1;
  if (me == 0) waited[kIoLane] = 0.3;  // rank 0 also waited on the disk
  // Rank 0's busy time: 1.0 - 0.4 = 0.6; the others': 0.9 - 0.1 = 0.8.
  const StragglerReport r = straggler_report(MPI_COMM_WORLD, me == 0 ? 1.0 : 0.9, waited);
  EXPECT_NE(r.rank, 0);
  EXPECT_DOUBLE_EQ(r.busy, 0.8);
  EXPECT_DOUBLE_EQ(r.ratio(), n == 2 ? 0.8 / 0.6 : 1.0);
  EXPECT_EQ(r.phase, "compute");
}

// The warning: a lead that moves from rank to rank says nothing; the same rank
// lagging on three logged steps in a row is named, then every 100 steps.
TEST(StragglerReport, WarnsOnlyWhenTheSameRankKeepsLagging) {
  StragglerWarning w(2.0);
  auto report = [](int rank, double busy) {
    StragglerReport r;
    r.rank = rank;
    r.busy = busy;
    r.median_busy = 0.1;
    r.phase = "compute";
    return r;
  };
  // 3x the median, but a different rank each step: scheduling noise.
  for (int step = 1; step <= 6; ++step) EXPECT_EQ(w.observe(report(step % 3, 0.3), 1.0, step), "");
  // Below the factor, or by less than a tenth of the step: not lagging.
  EXPECT_EQ(w.observe(report(2, 0.19), 1.0, 7), "");
  EXPECT_EQ(w.observe(report(2, 0.3), 10.0, 8), "");
  EXPECT_EQ(w.observe(report(2, 0.3), 1.0, 9), "");
  EXPECT_EQ(w.observe(report(2, 0.3), 1.0, 10), "");
  const std::string third = w.observe(report(2, 0.3), 1.0, 11);
  EXPECT_EQ(third.rfind("straggler at step 11: rank 2 is busy 0.300 s per step", 0), 0u) << third;
  EXPECT_NE(third.find("on 3 logged steps in a row"), std::string::npos) << third;
  for (int step = 12; step < 111; ++step) EXPECT_EQ(w.observe(report(2, 0.3), 1.0, step), "");
  EXPECT_NE(w.observe(report(2, 0.3), 1.0, 111).find("on 103 logged steps in a row"),
            std::string::npos);
  // Another rank takes the lead: the count starts again.
  EXPECT_EQ(w.observe(report(1, 0.3), 1.0, 112), "");
}

}  // namespace
}  // namespace paramoe
