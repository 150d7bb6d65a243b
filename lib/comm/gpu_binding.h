#pragma once
// Which GPU a rank drives: node-local rank modulo the node's visible devices, the
// binding Slurm's --gpus-per-task and mpirun's one-rank-per-GPU launches expect.
#include <string>

#include "comm/process_grid.h"

namespace paramoe {

// Collective over the grid's world. Selects the device with cudaSetDevice and
// returns its index. Throws a collective Error naming the rank when a rank sees no
// GPU, so every rank fails alike.
int gpu_bind(const ProcessGrid& grid);

// Collective over the grid's node groups: true when two ranks of a node share a
// GPU (NCCL rejects that; the staged MPI backend handles it). `detail` names them.
bool gpu_shared_within_node(const ProcessGrid& grid, std::string& detail);

}  // namespace paramoe
