// Forward + backward of the single-GPU MoE layer (DeviceMoeLayer, bf16 storage,
// fp32 accumulation and router), timed with CUDA events: the number that
// perf/torch_moe_layer.py measures for a plain PyTorch layer of the same shape on
// the same GPU. SwiGLU experts, renormalised top-k, dropless.
//   mixtral: 4096 tokens, D = 4096, H = 14336, 8 experts, top-2
//   small:   4096 tokens, D = 2048, H = 1536, 64 experts, top-8
// Without a GPU the benchmarks skip with the reason.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "kernels/cuda/device_info.h"
#include "kernels/cuda/random_fill.h"
#include "moe/device_moe_layer.h"
#include "perf/cuda_event_timer.h"

namespace {

using paramoe::cuda::bf16;
using paramoe::cuda::DeviceBuffer;

struct Shape {
  const char* name;
  int tokens, d, h, experts, k;
};
constexpr Shape kShapes[] = {{"mixtral", 4096, 4096, 14336, 8, 2},
                             {"small", 4096, 2048, 1536, 64, 8}};
constexpr const char* kHowNames[] = {"per_expert", "streams", "grouped"};

// U(±scale) from a xorshift generator: gigabytes of weights in seconds, made once
// per (size, seed) and shared by every benchmark of that shape.
const std::vector<float>& host_uniform(size_t n, uint32_t seed, float scale) {
  static std::map<std::pair<size_t, uint32_t>, std::vector<float>> cache;
  auto& v = cache[{n, seed}];
  if (v.size() != n) {
    v.resize(n);
    uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
    for (auto& f : v) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      f = (static_cast<float>(x >> 40) * (1.0f / 16777216.0f) * 2.0f - 1.0f) * scale;
    }
  }
  return v;
}

void BM_MoeLayerFwdBwd(benchmark::State& state) {
  std::string why;
  if (paramoe::cuda::device_count(why) == 0) {
    state.SkipWithError(("no GPU: " + why).c_str());
    return;
  }
  const Shape& s = kShapes[state.range(0)];
  const auto how = static_cast<paramoe::cuda::ExpertGemm>(state.range(1));
  paramoe::MoeConfig cfg;
  cfg.d_model = s.d;
  cfg.d_hidden = s.h;
  cfg.num_experts = s.experts;
  cfg.top_k = s.k;
  cfg.activation = "swiglu";
  cfg.capacity_factor = 0.0;
  paramoe::DeviceMoeLayer<bf16> layer(cfg, how);
  // Weights ~ U(±1/sqrt(fan_in)), as nn.Linear initialises them.
  const int64_t E = s.experts, D = s.d, H = s.h;
  const float sd = 1.0f / std::sqrt(static_cast<float>(D)),
              sh = 1.0f / std::sqrt(static_cast<float>(H));
  layer.set_params({{"wg", host_uniform(D * E, 1, sd)},
                    {"w1", host_uniform(E * D * H, 2, sd)},
                    {"b1", host_uniform(E * H, 3, sd)},
                    {"w3", host_uniform(E * D * H, 4, sd)},
                    {"b3", host_uniform(E * H, 5, sd)},
                    {"w2", host_uniform(E * H * D, 6, sh)},
                    {"b2", host_uniform(E * D, 7, sh)}});
  DeviceBuffer<bf16> x(s.tokens * D), dy(s.tokens * D), y(s.tokens * D), dx(s.tokens * D);
  paramoe::cuda::fill_uniform(x.data(), s.tokens * D, 11, 1.0f);
  paramoe::cuda::fill_uniform(dy.data(), s.tokens * D, 12, 1e-2f);
  auto step = [&] {
    layer.forward(x.data(), s.tokens, y.data());
    layer.backward(dy.data(), dx.data());
  };
  // 3 GEMMs forward, 6 backward, each 2·N·D·H over N = tokens·k routed rows.
  paramoe::perf::time_gpu_steps(state, 18.0 * s.tokens * s.k * D * H, step);
  state.SetLabel(std::string(s.name) + "/" + kHowNames[state.range(1)]);
}

BENCHMARK(BM_MoeLayerFwdBwd)
    ->ArgsProduct({{0, 1}, {0, 1, 2}})
    ->ArgNames({"shape", "how"})
    ->UseManualTime()
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
