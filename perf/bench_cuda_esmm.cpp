// GPU ESMM / ESTMM in bf16 (fp32 accumulation) against one dense cuBLAS GEMM of the
// same FLOPs, measured in the same benchmark: every iteration times the expert
// operator and the dense GEMM back to back with CUDA events, and the counters
// report both rates and their ratio (medians over the iterations).
//   mixtral: D = 4096, H = 14336, 8 experts, top-2, 4096 tokens (8192 routed rows)
//   small:   D = 2048, H = 1536, 64 experts, top-8, 4096 tokens (32768 routed rows)
// Forward is y = x·W1_e [N, D]·[D, H]; backward is dX = dY·W1_eᵀ plus dW1_e = xᵀ·dY.
// Routing: every token picks k distinct experts uniformly, or Zipf(1)-skewed.
// Without a GPU the benchmarks skip with the reason.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "device/cuda_device_info.h"
#include "kernels/cuda/bf16.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/expert_ops.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/random_fill.h"
#include "perf/cuda_event_timer.h"

namespace {

using paramoe::cuda::bf16;
using paramoe::cuda::DeviceBuffer;
using paramoe::cuda::ExpertGemm;

struct Shape {
  const char* name;
  int64_t d, h, experts, k, tokens;
};
constexpr Shape kShapes[] = {{"mixtral", 4096, 14336, 8, 2, 4096},
                             {"small", 2048, 1536, 64, 8, 4096}};

std::vector<int64_t> routed_offsets(const Shape& s, bool zipf) {
  std::mt19937 g(1234);
  std::vector<double> w(s.experts);
  for (int64_t e = 0; e < s.experts; ++e) w[e] = zipf ? 1.0 / (e + 1) : 1.0;
  std::vector<int64_t> count(s.experts, 0);
  for (int64_t t = 0; t < s.tokens; ++t) {
    std::vector<double> left = w;  // k distinct experts per token
    for (int64_t j = 0; j < s.k; ++j) {
      std::discrete_distribution<int64_t> pick(left.begin(), left.end());
      const int64_t e = pick(g);
      ++count[e];
      left[e] = 0.0;
    }
  }
  std::vector<int64_t> off(s.experts + 1, 0);
  std::partial_sum(count.begin(), count.end(), off.begin() + 1);
  return off;
}

DeviceBuffer<bf16> random_bf16(size_t n, uint64_t seed) {
  DeviceBuffer<bf16> b(n);
  paramoe::cuda::fill_uniform(b.data(), static_cast<int64_t>(n), seed, 1.0f);
  return b;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

constexpr const char* kHowNames[] = {"/per_expert", "/streams", "/grouped"};

// state.range: 0 shape, 1 zipf, 2 backward, 3 how (ExpertGemm).
void BM_Esmm(benchmark::State& state) {
  std::string why;
  if (paramoe::cuda::device_count(why) == 0) {
    state.SkipWithError(("no GPU: " + why).c_str());
    return;
  }
  const Shape& s = kShapes[state.range(0)];
  const bool zipf = state.range(1), backward = state.range(2);
  const ExpertGemm how = static_cast<ExpertGemm>(state.range(3));
  const auto off = routed_offsets(s, zipf);
  const int64_t N = off.back(), D = s.d, H = s.h, E = s.experts;
  auto x = random_bf16(N * D, 1), w = random_bf16(E * D * H, 2), dy = random_bf16(N * H, 3);
  auto wd = random_bf16(D * H, 4);  // the dense baseline's weight
  DeviceBuffer<bf16> y(N * H), dx(N * D), dw(E * D * H), dwd(D * H);
  namespace cu = paramoe::cuda;

  auto expert_op = [&] {
    if (!backward) {
      cu::esmm(x.data(), w.data(), nullptr, off.data(), E, D, H, false, false, y.data(), nullptr,
               how);
    } else {
      cu::esmm(dy.data(), w.data(), nullptr, off.data(), E, H, D, true, false, dx.data(), nullptr,
               how);
      cu::estmm(x.data(), dy.data(), off.data(), E, D, H, false, dw.data(), nullptr, how);
    }
  };
  auto dense_op = [&] {
    if (!backward) {
      cu::gemm(false, false, N, H, D, 1.0f, x.data(), D, wd.data(), H, 0.0f, y.data(), H);
    } else {
      cu::gemm(false, true, N, D, H, 1.0f, dy.data(), H, wd.data(), H, 0.0f, dx.data(), D);
      cu::gemm(true, false, D, H, N, 1.0f, x.data(), D, dy.data(), H, 0.0f, dwd.data(), H);
    }
  };
  paramoe::perf::CudaEventTimer timer;
  for (int i = 0; i < 3; ++i) {  // warm-up: cuBLAS heuristics, clocks
    timer.seconds(expert_op);
    timer.seconds(dense_op);
  }
  std::vector<double> t_expert, t_dense;
  for (auto _ : state) {
    const double te = timer.seconds(expert_op);
    t_dense.push_back(timer.seconds(dense_op));
    t_expert.push_back(te);
    state.SetIterationTime(te);
  }
  const double flops = (backward ? 4.0 : 2.0) * N * D * H;
  const double te = median(t_expert), td = median(t_dense);
  state.counters["expert_TFLOPs"] = flops / te * 1e-12;
  state.counters["dense_TFLOPs"] = flops / td * 1e-12;
  state.counters["vs_dense"] = td / te;
  state.counters["rows"] = static_cast<double>(N);
  state.SetLabel(std::string(s.name) + (zipf ? "/zipf" : "/uniform") +
                 (backward ? "/backward" : "/forward") + kHowNames[state.range(3)]);
}

BENCHMARK(BM_Esmm)
    ->ArgsProduct({{0, 1}, {0, 1}, {0, 1}, {0, 1, 2}})
    ->ArgNames({"shape", "zipf", "bwd", "how"})
    ->UseManualTime()
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
