#pragma once
// What every subcommand sets up first: the config, the process grid and the
// collectives backend, in that order, so that a bad config or layout fails before
// any collective.
#include <memory>
#include <string>
#include <vector>

#include "app/layer_device.h"
#include "app/work_split.h"
#include "comm/mpi_collectives.h"
#include "comm/process_grid.h"
#include "core/config.h"
#include "core/row_split.h"

namespace paramoe {

struct RunContext {
  Config config;
  std::unique_ptr<ProcessGrid> grid;
  std::unique_ptr<MpiCollectives> coll;  // host memory: gradients, statistics
  LayerDevice layers;                    // what the MoE layers run on
  WorkSplit split;                       // parallel.split: shares of work by speed
};

// calibrate_speed: time a GEMM on every rank for parallel.split = "speed".
RunContext run_context_create(const std::string& config_path,
                              const std::vector<std::string>& overrides,
                              bool calibrate_speed = false);

}  // namespace paramoe
