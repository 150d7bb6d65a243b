// Forward + backward of the MoE layer that trains (MoeLayer on CudaStepBackend,
// NCCL lanes, np 1) with bf16 expert GEMMs (device.precision = "bf16": fp32 rows,
// router and accumulation), timed with CUDA events: the number that
// perf/torch_moe_layer.py measures for a plain PyTorch layer of the same shape on
// the same GPU. SwiGLU experts, renormalised top-k, dropless, schedule s1, for each
// way of launching the expert GEMM groups.
//   mixtral: 4096 tokens, D = 4096, H = 14336, 8 experts, top-2
//   small:   4096 tokens, D = 2048, H = 1536, 64 experts, top-8
// Run under mpirun -np 1 (or as a singleton). Without a GPU the benchmarks skip
// with the reason.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <string>

#include "comm/gpu_binding.h"
#include "comm/nccl_collectives.h"
#include "device/cuda_device_info.h"
#include "kernels/cuda/random_fill.h"
#include "moe/cuda_step_backend.h"
#include "moe/moe_layer.h"
#include "perf/cuda_layer_bench.h"

namespace {

using paramoe::cuda::DeviceBuffer;

using paramoe::perf::LayerShape;
constexpr LayerShape kShapes[] = {{"mixtral", 4096, 4096, 14336, 8, 2},
                                  {"small", 4096, 2048, 1536, 64, 8}};
constexpr const char* kHowNames[] = {"per_expert", "streams", "grouped"};

void BM_MoeLayerFwdBwd(benchmark::State& state) {
  std::string why;
  if (paramoe::cuda::device_count(why) == 0) {
    state.SkipWithError(("no GPU: " + why).c_str());
    return;
  }
  const LayerShape& s = kShapes[state.range(0)];
  const auto how = static_cast<paramoe::cuda::ExpertGemm>(state.range(1));
  const paramoe::MoeConfig cfg = paramoe::perf::layer_config(s);
  paramoe::ProcessGrid grid = paramoe::ProcessGrid::create(MPI_COMM_WORLD, {}, cfg);
  paramoe::gpu_bind(grid);
  paramoe::NcclCollectives coll(grid);
  // The layer's own seeded initialisation (moe_params.h), as in training.
  paramoe::MoeLayer layer(
      cfg, coll, "moe/", 7,
      paramoe::cuda_step_backend_maker(paramoe::CudaStepBackend::Precision::bf16, how));
  const int64_t n = int64_t{s.tokens} * s.d;
  DeviceBuffer<float> x(n), dy(n), y(n), dx(n);
  paramoe::cuda::fill_uniform(x.data(), n, 11, 1.0f);
  paramoe::cuda::fill_uniform(dy.data(), n, 12, 1e-2f);
  auto step = [&] {
    layer.forward(x.data(), s.tokens, y.data());
    layer.backward(dy.data(), dx.data());
  };
  paramoe::perf::time_layer_steps(state, s, kHowNames[state.range(1)], step);
}

BENCHMARK(BM_MoeLayerFwdBwd)
    ->ArgsProduct({{0, 1}, {0, 1, 2}})
    ->ArgNames({"shape", "how"})
    ->UseManualTime()
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);

}  // namespace
