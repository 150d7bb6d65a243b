// The MoE layer that trains on one GPU by collectives backend, expert mode and
// precision, in one run, forward + backward timed with CUDA events:
//   nccl:   MoeLayer + CudaStepBackend + NcclCollectives at np 1, fp32 (the schedule's
//           step list: routing decisions and the dispatch plan go through the host,
//           index arrays are uploaded per step, collectives on the NCCL lanes);
//   staged: the same over StagedMpiCollectives (rows through pinned host memory);
//   dc:     nccl, data-centric: the expert shard packed into the device weight
//           cache, gathered (one rank: a device copy) and run from there;
//   bf16:   nccl with bf16 expert GEMMs (CudaStepBackend::Precision::bf16).
// The ratio staged/nccl is the price of rows through host memory, dc/nccl that of
// the weight cache's packing and block-wise FFN, bf16/nccl the gain of the bf16
// expert GEMMs inside the fp32 layer. (The fused single-GPU layer it was once
// measured against is gone: the layer that trains is the one benchmarked.)
//   medium: 8192 tokens, D = 1024, H = 4096, 8 experts, top-2, SwiGLU
//   small:  4096 tokens, D = 1024, H = 768, 64 experts, top-8, SwiGLU
// Run under mpirun -np 1 (or as a singleton). Without a GPU it skips, saying why.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <memory>
#include <string>

#include "comm/gpu_binding.h"
#include "comm/nccl_collectives.h"
#include "comm/staged_mpi_collectives.h"
#include "device/cuda_device_info.h"
#include "kernels/cuda/random_fill.h"
#include "moe/cuda_step_backend.h"
#include "moe/moe_layer.h"
#include "perf/cuda_layer_bench.h"

namespace {

using paramoe::cuda::DeviceBuffer;

using paramoe::perf::LayerShape;
constexpr LayerShape kShapes[] = {{"medium", 8192, 1024, 4096, 8, 2},
                                  {"small", 4096, 1024, 768, 64, 8}};
constexpr const char* kPathNames[] = {"nccl", "staged", "dc", "bf16"};

void BM_DistLayerFwdBwd(benchmark::State& state) {
  std::string why;
  if (paramoe::cuda::device_count(why) == 0) {
    state.SkipWithError(("no GPU: " + why).c_str());
    return;
  }
  const LayerShape& s = kShapes[state.range(0)];
  const int path = static_cast<int>(state.range(1));
  paramoe::MoeConfig cfg = paramoe::perf::layer_config(s);
  if (path == 2) cfg.expert_mode = "data-centric";
  const int64_t n = int64_t{s.tokens} * s.d;
  DeviceBuffer<float> x(n), dy(n), y(n), dx(n);
  paramoe::cuda::fill_uniform(x.data(), n, 11, 1.0f);
  paramoe::cuda::fill_uniform(dy.data(), n, 12, 1e-2f);

  paramoe::ParallelConfig par;  // np 1: mp = ep = esp = 1
  paramoe::ProcessGrid grid = paramoe::ProcessGrid::create(MPI_COMM_WORLD, par, cfg);
  paramoe::gpu_bind(grid);
  // One parameter set for all paths: the MoeLayer's seeded init.
  std::unique_ptr<paramoe::Collectives> coll;
  if (path == 1)
    coll = std::make_unique<paramoe::StagedMpiCollectives>(grid);
  else
    coll = std::make_unique<paramoe::NcclCollectives>(grid);
  using Precision = paramoe::CudaStepBackend::Precision;
  const Precision precision = path == 3 ? Precision::bf16 : Precision::fp32;
  paramoe::MoeLayer layer(cfg, *coll, "moe/", 7, paramoe::cuda_step_backend_maker(precision));
  paramoe::perf::time_layer_steps(state, s, kPathNames[path], [&] {
    layer.forward(x.data(), s.tokens, y.data());
    layer.backward(dy.data(), dx.data());
  });
}

BENCHMARK(BM_DistLayerFwdBwd)
    ->ArgsProduct({{0, 1}, {0, 1, 2, 3}})
    ->ArgNames({"shape", "path"})
    ->UseManualTime()
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);

}  // namespace
