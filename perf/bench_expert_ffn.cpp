// The CPU expert FFN (lib/moe/expert_ffn on cpu_device_ops), forward + backward, in row blocks (the
// default) against whole experts (one block per expert: the baseline), single-
// threaded OpenBLAS, with a dense sgemm of the same shape as the FLOP-rate peak.
// Args: experts, rows per expert, D, H. perf/expert_ffn_ratios.py turns one run's
// JSON into ratios.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "moe/expert_ffn.h"
#include "perf/bench_util.h"

namespace {

using paramoe::bench::random_vector;
using paramoe::bench::set_flops;

// whole: one block per expert (the unblocked FFN); otherwise the default blocks.
void run_ffn(benchmark::State& state, bool whole) {
  paramoe::cpu::blas_set_threads_default();
  const int64_t E = state.range(0), R = state.range(1), D = state.range(2), H = state.range(3);
  const int64_t N = E * R;
  auto x = random_vector(N * D, 1, 0.1f), w1 = random_vector(E * D * H, 2, 0.1f),
       b1 = random_vector(E * H, 3, 0.1f);
  auto w2 = random_vector(E * H * D, 4, 0.1f), b2 = random_vector(E * D, 5, 0.1f),
       dy = random_vector(N * D, 6, 0.1f);
  std::vector<float> y(N * D), dx(N * D), g1(E * D * H), gb1(E * H), g2(E * H * D), gb2(E * D);
  std::vector<int64_t> offsets(E + 1);
  for (int64_t e = 0; e <= E; ++e) offsets[e] = e * R;
  paramoe::ExpertDims d{E, D, H, false, whole ? R : 0};
  const paramoe::ExpertWeights w{w1.data(), b1.data(), nullptr, nullptr, w2.data(), b2.data()};
  paramoe::ExpertGrads g{g1.data(), gb1.data(), nullptr, nullptr, g2.data(), gb2.data()};
  paramoe::ExpertActivations act;
  const paramoe::ExpertOps<float>& ops = paramoe::cpu_device_ops().expert;
  for (auto _ : state) {
    paramoe::expert_ffn_forward(ops, d, w, x.data(), offsets.data(), true, act, y.data());
    paramoe::expert_ffn_backward(ops, d, w, x.data(), act, dy.data(), offsets.data(), g, dx.data());
    benchmark::DoNotOptimize(dx.data());
  }
  state.counters["block_rows"] = static_cast<double>(whole ? R : paramoe::cpu_expert_block_rows(H));
  set_flops(state, 12.0 * N * D * H);  // 2 GEMMs forward, 4 backward
}

void BM_ExpertFfnBlocks(benchmark::State& state) {
  run_ffn(state, false);
}
void BM_ExpertFfnWhole(benchmark::State& state) {
  run_ffn(state, true);
}

// The peak: one dense GEMM of all N rows through one D×H weight.
void BM_DenseGemm(benchmark::State& state) {
  paramoe::cpu::blas_set_threads_default();
  const int64_t N = state.range(0) * state.range(1), D = state.range(2), H = state.range(3);
  auto x = random_vector(N * D, 1, 0.1f), w = random_vector(D * H, 2, 0.1f);
  std::vector<float> y(N * H);
  for (auto _ : state) {
    paramoe::cpu::gemm(false, false, N, H, D, 1.0f, x.data(), D, w.data(), H, 0.0f, y.data(), H);
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * N * D * H);
}

// Shapes from the HEXA sweep (D = 64, 128) to a Mixtral-like slice.
void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"E", "rows", "D", "H"});
  b->Args({8, 256, 64, 64});
  b->Args({4, 1024, 64, 256});
  b->Args({4, 2048, 128, 128});
  b->Args({8, 512, 128, 1024});
  b->Args({4, 256, 256, 1024});
  b->Args({2, 512, 512, 2048});
  b->Args({2, 1024, 1024, 4096});
}

}  // namespace

BENCHMARK(BM_DenseGemm)->Apply(shapes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ExpertFfnWhole)->Apply(shapes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ExpertFfnBlocks)->Apply(shapes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
