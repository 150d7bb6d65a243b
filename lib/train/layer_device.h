#pragma once
// Where the model computes (config [device]): the collectives its rows move over,
// the StepBackend its MoE layers compute with, the DenseBackend of the
// transformers' dense parts and the memory the optimizer runs in (gradient sums,
// norm, AdamW, beside the parameters' live copies). Statistics and checkpoints stay
// on the run's host MpiCollectives either way.
#include <array>
#include <functional>
#include <memory>
#include <string>

#include "comm/mpi_collectives.h"
#include "core/config.h"
#include "model/dense_backend.h"
#include "moe/moe_layer.h"
#include "optim/optimizer_memory.h"

namespace paramoe {

struct LayerDevice {
  std::unique_ptr<Collectives> owned;  // null on the CPU, where `coll` is the host's
  Collectives* coll = nullptr;
  StepBackendMaker make = make_cpu_step_backend;
  DenseBackendMaker make_dense = make_cpu_dense_backend;
  std::function<std::unique_ptr<OptimizerMemory>()> make_optimizer_memory =
      make_host_optimizer_memory;
  std::string describe;  // for the start-up log
  // {bytes in use, total bytes} of this rank's GPU; null on the CPU.
  std::function<std::array<double, 2>()> device_memory;
};

// Collective over the grid's world. Throws a collective Error naming device.type
// when this build has no CUDA backend or a rank has no GPU, and device.collectives
// when NCCL is asked for but ranks share a GPU.
// moe.a2a other than "native" runs on MPI only, so NCCL refuses it, naming both keys.
LayerDevice layer_device_create(const Config& config, const ProcessGrid& grid, MpiCollectives& host,
                                const A2aLinkModel& a2a_model = {});

}  // namespace paramoe
