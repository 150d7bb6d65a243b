#include "train/layer_device.h"

#include "core/error.h"

#ifdef PARAMOE_HAVE_CUDA
#include "comm/gpu_binding.h"
#include "comm/nccl_collectives.h"
#include "comm/staged_mpi_collectives.h"
#include "device/cuda_device_info.h"
#include "model/cuda_dense_backend.h"
#include "moe/cuda_step_backend.h"
#include "optim/cuda_optimizer_memory.h"
#endif

namespace paramoe {

LayerDevice layer_device_create(const Config& config, const ProcessGrid& grid, MpiCollectives& host,
                                [[maybe_unused]] const A2aLinkModel& a2a_model) {
  const DeviceConfig& cfg = config.device;
  LayerDevice d;
  if (cfg.type == "cpu") {
    d.coll = &host;
    d.describe = "device cpu (MPI)";
    return d;
  }
  if (cfg.type == "emulated-gpu") {  // the GPU's composition on the CPU's kernels
    d.coll = &host;
    d.make = [](const MoeConfig& c, MoeParams& p) -> std::unique_ptr<StepBackend> {
      return std::make_unique<StepBackend>(emulated_gpu_device_ops(), c, p);
    };
    d.make_dense = [](Collectives& c) -> std::unique_ptr<DenseBackend> {
      return std::make_unique<DenseBackend>(emulated_gpu_device_ops(), c);
    };
    d.make_optimizer_memory = [] {
      return std::make_unique<OptimizerMemory>(emulated_gpu_device_ops());
    };
    d.describe = "device emulated-gpu (the GPU's code paths on the CPU's kernels, MPI)";
    return d;
  }
#ifdef PARAMOE_HAVE_CUDA
  const int gpu = gpu_bind(grid);
  std::string shared;
  const bool clash = gpu_shared_within_node(grid, shared);
  std::string how = cfg.collectives;
  if (how == "auto") how = clash ? "mpi" : "nccl";
  if (how == "nccl") {
    if (config.moe.a2a != "native")
      throw_collective(config.origin + ": moe.a2a = \"" + config.moe.a2a +
                       "\" runs on MPI only; with device.collectives = nccl expected \"native\" "
                       "(or set device.collectives = \"mpi\")");
    d.owned = std::make_unique<NcclCollectives>(grid);  // refuses shared GPUs, naming them
  } else {
    auto staged = std::make_unique<StagedMpiCollectives>(grid);
    staged->host().set_alltoall(a2a_method_from_string(config.moe.a2a),
                                order_algorithm_from_string(config.moe.a2a_order), a2a_model);
    d.owned = std::move(staged);
  }
  d.coll = d.owned.get();
  const CudaStepBackend::Precision precision = cuda_precision_from_string(cfg.precision);
  d.make = cuda_step_backend_maker(precision);
  d.make_dense = cuda_dense_backend_maker(precision);
  d.make_optimizer_memory = make_cuda_optimizer_memory;
  d.device_memory = [] {
    size_t used = 0, total = 0;
    cuda::memory_in_use(used, total);
    return std::array<double, 2>{static_cast<double>(used), static_cast<double>(total)};
  };
  d.describe = "device cuda:" + std::to_string(gpu) + " (" +
               (how == "nccl" ? std::string("NCCL") : std::string("MPI staged through host")) +
               (clash ? ", ranks share a GPU" : "") + ", " + cfg.precision + " GEMMs)";
  return d;
#else
  (void)grid;
  throw_collective(
      "device.type = \"cuda\": this paramoe was built without the CUDA backend (configure with "
      "-DPARAMOE_CUDA=ON on a machine with the CUDA toolkit), expected \"cpu\"");
#endif
}

}  // namespace paramoe
