// ESMM / ESTMM (HEXA-MoE expert-specific GEMMs on rows grouped by expert) against one
// dense sgemm doing the same useful FLOPs, single-threaded OpenBLAS. The dense
// benchmarks are the baseline; perf/esmm_ratios.py turns one run's JSON into ratios.
//   R = T·k routed rows, D = 1024, H = 4096; routing uniform or Zipf(1) over E experts.
#include <benchmark/benchmark.h>

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/cpu/expert_ops.h"
#include "kernels/cpu/gemm.h"
#include "perf/bench_util.h"

namespace {

using paramoe::bench::random_vector;
using paramoe::bench::set_flops;

constexpr int64_t kRows = 4096, kD = 1024, kH = 4096;

// Rows per expert for `rows` routed rows: equal, or ∝ 1/(e+1) (Zipf, s = 1); whole rows
// that sum exactly to `rows` (largest remainders get the leftovers).
std::vector<int64_t> expert_offsets(int64_t experts, bool zipf, int64_t rows) {
  std::vector<double> w(experts);
  for (int64_t e = 0; e < experts; ++e) w[e] = zipf ? 1.0 / (e + 1) : 1.0;
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  std::vector<int64_t> count(experts);
  std::vector<std::pair<double, int64_t>> rem;
  int64_t used = 0;
  for (int64_t e = 0; e < experts; ++e) {
    const double exact = rows * w[e] / total;
    count[e] = static_cast<int64_t>(std::floor(exact));
    used += count[e];
    rem.push_back({exact - count[e], e});
  }
  std::sort(rem.rbegin(), rem.rend());
  for (int64_t i = 0; used < rows; ++i, ++used) ++count[rem[i].second];
  std::vector<int64_t> off(experts + 1, 0);
  for (int64_t e = 0; e < experts; ++e) off[e + 1] = off[e] + count[e];
  return off;
}

void BM_DenseForward(benchmark::State& state) {
  auto x = random_vector(kRows * kD, 1), w = random_vector(kD * kH, 2);
  std::vector<float> y(kRows * kH);
  for (auto _ : state) {
    paramoe::cpu::gemm(false, false, kRows, kH, kD, 1.0f, x.data(), kD, w.data(), kH, 0.0f,
                       y.data(), kH);
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * kRows * kD * kH);
}

void BM_DenseBackward(benchmark::State& state) {
  auto x = random_vector(kRows * kD, 1), w = random_vector(kD * kH, 2);
  auto dy = random_vector(kRows * kH, 3);
  std::vector<float> dx(kRows * kD), dw(kD * kH);
  for (auto _ : state) {
    paramoe::cpu::gemm(false, true, kRows, kD, kH, 1.0f, dy.data(), kH, w.data(), kH, 0.0f,
                       dx.data(), kD);
    paramoe::cpu::gemm(true, false, kD, kH, kRows, 1.0f, x.data(), kD, dy.data(), kH, 0.0f,
                       dw.data(), kH);
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, 4.0 * kRows * kD * kH);
}

// state.range(0) = E, state.range(1) = 1 for Zipf routing.
void BM_EsmmForward(benchmark::State& state) {
  const int64_t E = state.range(0);
  const auto off = expert_offsets(E, state.range(1) != 0, kRows);
  auto x = random_vector(kRows * kD, 1), w = random_vector(E * kD * kH, 2);
  std::vector<float> y(kRows * kH);
  for (auto _ : state) {
    paramoe::cpu::esmm(x.data(), w.data(), nullptr, off.data(), E, kD, kH, false, false, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * kRows * kD * kH);
}

// Input gradient (ESMM with transposed weights) plus weight gradient (ESTMM).
void BM_EsmmBackward(benchmark::State& state) {
  const int64_t E = state.range(0);
  const auto off = expert_offsets(E, state.range(1) != 0, kRows);
  auto x = random_vector(kRows * kD, 1), w = random_vector(E * kD * kH, 2);
  auto dy = random_vector(kRows * kH, 3);
  std::vector<float> dx(kRows * kD), dw(E * kD * kH);
  for (auto _ : state) {
    paramoe::cpu::esmm(dy.data(), w.data(), nullptr, off.data(), E, kH, kD, true, false, dx.data());
    paramoe::cpu::estmm(x.data(), dy.data(), off.data(), E, kD, kH, false, dw.data());
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, 4.0 * kRows * kD * kH);
}

void routing_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"E", "zipf"});
  for (int64_t e : {4, 8, 32})
    for (int64_t z : {0, 1}) b->Args({e, z});
}

BENCHMARK(BM_DenseForward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DenseBackward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EsmmForward)->Apply(routing_args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EsmmBackward)->Apply(routing_args)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  paramoe::cpu::blas_set_threads(1);  // single-threaded, as the target states
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
