#pragma once
// Helpers the Google Benchmarks in perf/ share.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

namespace paramoe::bench {

// n normal draws (mean 0, standard deviation `sd`) from `seed`: never zeros.
inline std::vector<float> random_vector(size_t n, uint32_t seed, float sd = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

// The "GFLOPs" counter: `flops` per iteration as a rate.
inline void set_flops(benchmark::State& state, double flops) {
  state.counters["GFLOPs"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace paramoe::bench
