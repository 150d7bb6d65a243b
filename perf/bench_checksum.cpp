// The checkpoint checksum (mix64sum) against a plain memory read of the same data:
// it must not be what limits checkpoint bandwidth.
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

#include "ckpt/checksum.h"

namespace {

std::vector<float> data(int64_t n) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 977) * 0.37f - 11.0f;
  return v;
}

void BM_Checksum(benchmark::State& state) {
  const int64_t n = state.range(0);
  const auto v = data(n);
  for (auto _ : state) benchmark::DoNotOptimize(paramoe::checksum_slab(v.data(), {n}, {0}, {n}));
  state.SetBytesProcessed(state.iterations() * n * 4);
}

void BM_MemoryRead(benchmark::State& state) {
  const int64_t n = state.range(0);
  const auto v = data(n);
  for (auto _ : state) benchmark::DoNotOptimize(std::accumulate(v.begin(), v.end(), 0.0f));
  state.SetBytesProcessed(state.iterations() * n * 4);
}

BENCHMARK(BM_Checksum)->Arg(1 << 24);
BENCHMARK(BM_MemoryRead)->Arg(1 << 24);

}  // namespace

BENCHMARK_MAIN();
