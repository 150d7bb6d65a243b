#pragma once
// Kernel rates for calibration, timed the way a layer sees them when ranks share
// cores.
#include <mpi.h>

#include <functional>

namespace paramoe {

// Seconds per call of f, sustained while every rank of `comm` runs it: each of
// `repeats` windows (40 ms, after one warm-up window) starts on a barrier and every
// rank calls f until the window has passed; the median window's seconds per call.
// When ranks share a core, each runs at full speed within its scheduler slices (a
// few ms), so a single call sees a whole core; a layer, computing on all ranks at
// once, gets only its share of one. Fixed-time windows keep every rank competing
// to the end, so the shares come out fair (fixed-work windows let the first rank
// done stop competing, and the others speed up).
double sustained_seconds(MPI_Comm comm, int repeats, const std::function<void()>& f);

}  // namespace paramoe
