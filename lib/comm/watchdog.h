#pragma once
// The collective watchdog (DESIGN.md, error handling). Every wait on peers runs
// under a deadline; a rank whose wait passes it prints where it is (step, block,
// schedule step, collective) and which of its node's ranks hold it up, then ends
// the job on every rank with MPI_Abort(kWatchdogExitCode).
//
// Why it works without any rank's cooperation: a helper thread checks the
// deadline (the main thread may sit inside a blocking MPI call), and the peers are
// read from a board in node shared memory that each rank's helper thread stamps
// with a heartbeat, so a stopped rank (SIGSTOP, a hung GPU, a stuck file system)
// shows up as a stale heartbeat or as a rank outside any collective. Ranks on other
// nodes are not visible; their node mates name them.
//
// Waiting does not spin a core for minutes: each blocking collective first waits
// for all peers to arrive in an MPI_Ibarrier (watchdog_arrive), polling with a
// growing sleep once the wait passes a second; only then does the blocking call
// move the data. Open MPI's nonblocking allreduce measured up to 1.9x slower than
// the blocking one for large payloads, so the data keeps the blocking path.
#include <mpi.h>

#include <array>
#include <cstdint>
#include <string>

#include "comm/process_grid.h"

namespace paramoe {

// Distinct from timeout(1)'s 124, so that a batch script can tell the two apart.
inline constexpr int kWatchdogExitCode = 85;

struct WatchdogSettings {
  bool enabled = true;
  double min_seconds = 120.0;  // no wait trips sooner
  double factor = 20.0;        // nor before factor × its predicted time
};

// Where time spent waiting is accounted, for the straggler report: one lane per
// process-grid group, and one for checkpoint file I/O.
inline constexpr int kWaitLanes = 9;
inline constexpr int kIoLane = 8;
int wait_lane(Group g);
const char* wait_lane_name(int lane);
using WaitSeconds = std::array<double, kWaitLanes>;

// Collective over `comm` the first time (the node board is built); later calls
// only replace the settings. With enabled = false nothing waits under a deadline
// and watchdog_arrive does nothing.
void watchdog_start(const WatchdogSettings& settings, MPI_Comm comm);
bool watchdog_enabled();

// Where this rank is, for the report. The step's duration also raises every
// deadline: a wait for peers legitimately lasts about a step.
void watchdog_at_step(int64_t step, double last_step_seconds);
void watchdog_at_block(int block);                                 // -1: outside the model's blocks
void watchdog_at_phase(bool backward, const char* schedule_step);  // a static string

// The predicted seconds of moving `bytes` over the slowest link the watchdog
// assumes (100 MB/s), for deadlines only.
double watchdog_predicted_seconds(double bytes);

// A wait on peers, from construction to destruction. `what` is a static string
// ("MPI_Allreduce"); `predicted` is the operation's own predicted seconds (its
// bytes over a slow link, a file's bytes over a slow disk). Waits nest: an inner
// wait's deadline is never earlier than the enclosing one's.
class WatchdogWait {
 public:
  WatchdogWait(const char* what, int lane, double predicted_seconds = 0.0);
  ~WatchdogWait();
  WatchdogWait(const WatchdogWait&) = delete;
  WatchdogWait& operator=(const WatchdogWait&) = delete;

 private:
  bool active_;
  int lane_;
  double start_;
};

// Sleeps between polls of a long wait: nothing for the first second (latency
// matters), then 1 ms growing to 20 ms. While waits share the core, 50 us from
// the first poll. In the first second it yields the core between polls where
// Open MPI does (mpi_yield_when_idle, e.g. mpirun --mca mpi_yield_when_idle 1, as
// the emulated testbed runs): with more ranks than cores, a rank spinning on
// MPI_Test would otherwise take its core-mate's compute, which Open MPI's own
// blocking calls then no longer do. PARAMOE_WAIT_YIELD=0|1 overrides, to compare.
class WaitBackoff {
 public:
  void pause();

 private:
  double start_ = -1.0;
  int sleep_us_ = 1000;
};

// Colocated models (two threads on each rank, lib/train/colocation.h) share the
// cores: a thread spinning in a wait takes the core from the other model's
// compute. With this on, every wait sleeps between its polls from the first one,
// and every blocking collective first waits for its peers that way (as
// watchdog_arrive does with the watchdog on), so MPI spins only while data moves.
void waits_share_the_core(bool on);

// Returns when every rank of `comm` has called it (a no-op when the watchdog is
// off and waits do not share the core, or the group has one rank), as a
// WatchdogWait on lane `g`.
void watchdog_arrive(MPI_Comm comm, Group g, const char* what);

// A blocking collective on group g's communicator: its ranks arrive first, then
// the data moves as a WatchdogWait (predicted from its bytes).
class WatchdogCollective {
 public:
  WatchdogCollective(MPI_Comm comm, Group g, const char* what, double bytes)
      : wait_((watchdog_arrive(comm, g, what), what), wait_lane(g),
              watchdog_predicted_seconds(bytes)) {}

 private:
  WatchdogWait wait_;
};

// The seconds waited per lane since the last call.
WaitSeconds watchdog_take_wait_seconds();

}  // namespace paramoe
