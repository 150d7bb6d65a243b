#pragma once
// What every subcommand sets up first: the config, the process grid and the
// collectives backend, in that order, so that a bad config or layout fails before
// any collective.
#include <memory>
#include <string>
#include <vector>

#include "comm/mpi_collectives.h"
#include "comm/process_grid.h"
#include "core/config.h"
#include "core/row_split.h"
#include "plan/work_split.h"
#include "train/layer_device.h"

namespace paramoe {

struct RunContext {
  Config config;  // as the user gave it: "auto" stays "auto"
  std::unique_ptr<ProcessGrid> grid;
  std::unique_ptr<MpiCollectives> coll;  // host memory: gradients, statistics
  LayerDevice layers;                    // what the MoE layers run on
  WorkSplit split;                       // parallel.split: shares of work by speed
  // One per MoE layer of the model (config.moe_layer_count(), at least one), as the
  // layer runs: "auto" resolved by the predictor for the layer's shape and the ESP
  // shares of a speed split applied.
  std::vector<MoeConfig> moe_layers;
};

// calibrate_speed: time a GEMM on every rank for parallel.split = "speed".
// `world`: the ranks of the run (tests run on a part of MPI_COMM_WORLD).
RunContext run_context_create(const std::string& config_path,
                              const std::vector<std::string>& overrides,
                              bool calibrate_speed = false, MPI_Comm world = MPI_COMM_WORLD);

}  // namespace paramoe
