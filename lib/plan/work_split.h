#pragma once
// parallel.split = "speed" (HEXA-MoE's heterogeneous split): each rank's relative
// speed, from a GEMM timed on every rank at once (`train --calibrate-speed`) or
// from plan.cluster's [device] speeds, and the shares of work derived from it.
//   data-centric:  each data-parallel shard's share of the batch ∝ the speed of its
//                  slowest MP rank (the MP group runs in lockstep);
//   model-centric: each ESP index's share of the experts' hidden dimension ∝ the
//                  slowest rank holding that index (every EP and EDP replica of a
//                  slice must have the same shape).
// Shares are whole rows that sum exactly (row_split.h). Losses and gradients are
// normalised by global counts, so an uneven split computes what the even one does.
#include <string>
#include <vector>

#include "comm/process_grid.h"
#include "core/config.h"

namespace paramoe {

struct WorkSplit {
  std::vector<double> speeds;  // per world rank, the fastest = 1; empty: an even split
  std::vector<double> dp;      // per data-parallel index (data-centric); empty: even
  std::vector<double> esp;     // per ESP index (model-centric), MoeConfig::esp_weights; empty: even
  std::string describe;        // for the log; empty for an even split
};

// Collective. `data_centric`: whether the MoE layers run data-centric (the batch is
// split) or model-centric (the experts' hidden dimension is). Throws a collective
// Error naming the key when parallel.split = "speed" has no speeds.
WorkSplit work_split_resolve(const Config& cfg, bool data_centric, const ProcessGrid& grid,
                             bool calibrate);

// The shares from given speeds (one per world rank), with no collective: what
// work_split_resolve does once the speeds are known.
WorkSplit work_split_from_speeds(std::vector<double> speeds, const std::string& source,
                                 int64_t d_hidden, bool data_centric, const Layout& layout);

// Every rank times the same single-threaded sgemm at once (they share the machine
// as they will in training), in three windows of 24 calls after a warm-up window;
// speed = 1 / the median window, scaled so that the fastest rank's is 1.
std::vector<double> calibrate_speeds(const ProcessGrid& grid);

}  // namespace paramoe
