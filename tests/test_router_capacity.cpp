// Capacity by position, as the router runs it on a device's tensors: split over
// the ranks of an MP group (each with its counts before it and the group's total),
// it keeps exactly what one rank holding the group's tokens keeps under the
// definition: per expert, its first `capacity` assignments ranked by choice first
// and token second. On the host's table and on the emulated GPU's (the GPU's round
// trips), with the statistics' drop count to match.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "moe/router.h"
#include "random_normal.h"

namespace paramoe {
namespace {

template <class T>
T* on(const DeviceOps& ops, const std::vector<T>& host, DeviceArray<T>& a) {
  T* d = a.fit(ops.memory, host.size());
  upload(ops.memory, host.data(), host.size(), d);
  return d;
}

TEST(RouterCapacity, SplitRanksKeepWhatTheWholeGroupKeeps) {
  MoeConfig cfg;
  cfg.d_model = 16;
  cfg.num_experts = 6;
  cfg.top_k = 2;
  const int E = cfg.num_experts, k = cfg.top_k;
  const int64_t T = 301, D = cfg.d_model, split = 137;  // rank 0: [0, split)
  const auto x = randn(T * D, 1), wg = randn(D * E, 2);
  for (const DeviceOps* ops : {&cpu_device_ops(), &emulated_gpu_device_ops()}) {
    SCOPED_TRACE(ops->name);
    DeviceArray<float> d_wg;
    const float* w = on(*ops, wg, d_wg);
    // Route each rank's tokens; the whole group's routing gives the reference.
    struct Part {
      int64_t t0, n;
      RouterTensors t;
      DeviceArray<float> x;
    };
    std::vector<Part> parts(3);
    parts[0].t0 = 0, parts[0].n = split;
    parts[1].t0 = split, parts[1].n = T - split;
    parts[2].t0 = 0, parts[2].n = T;  // the whole group
    std::vector<std::vector<int>> counts;
    for (Part& p : parts) {
      const std::vector<float> xs(x.begin() + p.t0 * D, x.begin() + (p.t0 + p.n) * D);
      router_forward(*ops, on(*ops, xs, p.x), p.n, D, w, cfg, p.t);
      counts.push_back(router_choice_counts(*ops, p.t, cfg));
    }
    std::vector<int> total(k * E), zero(k * E, 0);
    for (int i = 0; i < k * E; ++i) total[i] = counts[0][i] + counts[1][i];
    ASSERT_EQ(total, counts[2]);
    for (const double factor : {0.5, 1.0}) {
      cfg.capacity_factor = factor;
      const int64_t capacity = router_capacity(cfg, T, total);
      router_apply_capacity(*ops, parts[0].t, cfg, zero, total, capacity);
      router_apply_capacity(*ops, parts[1].t, cfg, counts[0], total, capacity);
      RoutedTokens a, b, whole;
      router_to_host(*ops, parts[0].t, cfg, a);
      router_to_host(*ops, parts[1].t, cfg, b);
      router_to_host(*ops, parts[2].t, cfg, whole);  // no capacity: every kept mark is 1
      ASSERT_EQ(std::count(whole.kept.begin(), whole.kept.end(), 0), 0);
      std::vector<uint8_t> split_kept = a.kept;
      split_kept.insert(split_kept.end(), b.kept.begin(), b.kept.end());
      // The definition, on the whole group's choices.
      std::vector<uint8_t> want(T * k, 0);
      std::vector<int64_t> taken(E, 0);
      for (int j = 0; j < k; ++j)
        for (int64_t t = 0; t < T; ++t) {
          const int e = whole.expert[t * k + j];
          if (taken[e] < capacity) want[t * k + j] = 1, ++taken[e];
        }
      EXPECT_EQ(split_kept, want) << "factor " << factor;
      const auto dropped = std::count(want.begin(), want.end(), 0);
      EXPECT_GT(dropped, 0) << "factor " << factor;  // the test drops something
      const double stats_dropped = router_local_stats(*ops, parts[0].t, cfg)[2 * E + 2] +
                                   router_local_stats(*ops, parts[1].t, cfg)[2 * E + 2];
      EXPECT_EQ(stats_dropped, static_cast<double>(dropped));
    }
    // A pass without capacity keeps everything again (the mask is refilled).
    router_forward(*ops, parts[0].x.data(), parts[0].n, D, w, cfg, parts[0].t);
    RoutedTokens again;
    router_to_host(*ops, parts[0].t, cfg, again);
    EXPECT_EQ(std::count(again.kept.begin(), again.kept.end(), 0), 0);
  }
}

}  // namespace
}  // namespace paramoe
