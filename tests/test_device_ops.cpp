// The op table (lib/device): device arrays and the long-lived BackendBuffer, on
// the host's table and on the emulated GPU's, whose memory the layers must treat as
// a device's; and the routing entries, which the emulated GPU runs through the host
// as the GPU does (via_host_ops.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "device/backend_buffer.h"
#include "device/device_array.h"
#include "device/device_ops.h"

namespace paramoe {
namespace {

TEST(DeviceArray, GrowsOnlyAndKeepsWhatFits) {
  const DeviceMemory& m = cpu_device_ops().memory;
  DeviceArray<float> a;
  EXPECT_EQ(a.data(), nullptr);
  float* p = a.fit(m, 16);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(a.capacity(), 16u);
  std::fill_n(p, 16, 3.0f);
  EXPECT_EQ(a.fit(m, 8), p);  // smaller: the same memory, contents kept
  EXPECT_EQ(p[7], 3.0f);
  DeviceArray<float> b = std::move(a);
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_NE(b.fit(m, 1 << 20), nullptr);
  EXPECT_EQ(b.capacity(), size_t{1} << 20);
}

// What the layers rely on, as std::vector<float> had it: growing keeps the
// contents and zeroes what it adds; assign_zeros zeroes all of a new size.
TEST(BackendBuffer, BehavesAsAVector) {
  for (const DeviceOps* ops : {&cpu_device_ops(), &emulated_gpu_device_ops()}) {
    SCOPED_TRACE(ops->name);
    const auto b = make_buffer(*ops);
    EXPECT_EQ(b->size(), 0);
    float* p = b->fit(4);
    EXPECT_EQ(b->size(), 4);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(p[i], 0.0f);
    for (int i = 0; i < 4; ++i) p[i] = 1.0f + i;
    p = b->fit(2);  // no shrink
    EXPECT_EQ(b->size(), 4);
    p = b->fit(1000);
    EXPECT_EQ(b->size(), 1000);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(p[i], 1.0f + i);
    for (int i = 4; i < 1000; ++i) ASSERT_EQ(p[i], 0.0f) << i;
    std::fill_n(p, 1000, 2.0f);
    b->zero(10);
    EXPECT_EQ(p[9], 0.0f);
    EXPECT_EQ(p[10], 2.0f);
    b->assign_zeros(3);
    EXPECT_EQ(b->size(), 3);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(b->data()[i], 0.0f);
  }
}

// The emulated GPU is the host's table composed as the GPU's: not the host's
// memory, and the experts in grouped calls.
TEST(DeviceOps, EmulatedGpuIsTheHostsKernelsAsADevice) {
  const DeviceOps& cpu = cpu_device_ops();
  const DeviceOps& gpu = emulated_gpu_device_ops();
  EXPECT_TRUE(cpu.host);
  EXPECT_FALSE(gpu.host);
  EXPECT_EQ(gpu.gemm, cpu.gemm);
  EXPECT_EQ(gpu.expert.esmm, cpu.expert.esmm);
  EXPECT_GE(cpu.expert.block_rows(64), 256);
  EXPECT_EQ(gpu.expert.block_rows(64), 0);
  std::vector<float> host = {1, 2, 3}, back(3);
  float* d = static_cast<float*>(gpu.memory.allocate(3 * sizeof(float)));
  gpu.memory.upload(host.data(), 3 * sizeof(float), d);
  gpu.memory.download(d, 3 * sizeof(float), back.data());
  gpu.memory.release(d);
  EXPECT_EQ(back, host);
}

// Device arrays filled from the host, read back after a table's kernel ran.
template <class T>
struct OnDevice {
  OnDevice(const DeviceOps& ops, const std::vector<T>& host) : ops(ops), n(host.size()) {
    upload(ops.memory, host.data(), n, a.fit(ops.memory, std::max<size_t>(n, 1)));
  }
  OnDevice(const DeviceOps& ops, size_t n) : ops(ops), n(n) {
    a.fit(ops.memory, std::max<size_t>(n, 1));
  }
  std::vector<T> host() const {
    std::vector<T> h(n);
    download(ops.memory, a.data(), n, h.data());
    return h;
  }
  const DeviceOps& ops;
  size_t n;
  DeviceArray<T> a;
};

// A random routing of T tokens over E experts, k distinct per token, some dropped.
struct RandomRouting {
  RandomRouting(int64_t T, int k, int E, uint64_t seed) : T(T), k(k), E(E) {
    std::mt19937_64 g(seed);
    std::vector<int32_t> order(E);
    std::iota(order.begin(), order.end(), 0);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (int64_t t = 0; t < T; ++t) {
      std::shuffle(order.begin(), order.end(), g);
      expert.insert(expert.end(), order.begin(), order.begin() + k);
      float sum = 0;
      for (int e = 0; e < E; ++e) sum += probs.emplace_back(u(g) + 0.01f);
      for (int e = 0; e < E; ++e) probs[t * E + e] /= sum;
      lse.push_back(4.0f * u(g) - 2.0f);
      for (int j = 0; j < k; ++j) kept.push_back(u(g) < 0.8f ? 1 : 0);
    }
  }
  int64_t T;
  int k, E;
  std::vector<int32_t> expert;
  std::vector<float> probs, lse;
  std::vector<uint8_t> kept;
};

// The CPU's kernels run directly on the host's table and through the host on the
// emulated GPU's: both must give the same counts, kept masks, statistics and
// expert order, bit for bit.
TEST(DeviceOps, RoutingEntriesAgreeOnBothTables) {
  const DeviceOps& cpu = cpu_device_ops();
  const DeviceOps& gpu = emulated_gpu_device_ops();
  EXPECT_NE(gpu.choice_counts, cpu.choice_counts);  // the GPU's round trip, not the kernel
  for (auto [T, k, E] :
       {std::tuple<int64_t, int, int>{0, 1, 4}, {1, 1, 1}, {97, 2, 8}, {500, 4, 16}}) {
    SCOPED_TRACE("T " + std::to_string(T) + " k " + std::to_string(k) + " E " + std::to_string(E));
    const RandomRouting r(T, k, E, 7 + T);
    std::vector<int64_t> first(static_cast<size_t>(k) * E);
    std::mt19937_64 g(T);
    for (auto& f : first) f = static_cast<int64_t>(g() % 40);
    std::vector<std::vector<int32_t>> counts, order;
    std::vector<std::vector<uint8_t>> kept;
    std::vector<std::vector<double>> stats;
    for (const DeviceOps* ops : {&cpu, &gpu}) {
      const OnDevice<int32_t> expert(*ops, r.expert);
      const OnDevice<float> probs(*ops, r.probs), lse(*ops, r.lse);
      const OnDevice<uint8_t> mask(*ops, r.kept);
      const OnDevice<int64_t> f(*ops, first);
      OnDevice<int32_t> c(*ops, static_cast<size_t>(k) * E);
      OnDevice<uint8_t> keep(*ops, r.kept.size());
      OnDevice<double> s(*ops, 2 * static_cast<size_t>(E) + 3);
      ops->choice_counts(expert.a.data(), T, k, E, c.a.data());
      ops->apply_capacity(expert.a.data(), T, k, E, f.a.data(), 30, keep.a.data());
      ops->router_stats(probs.a.data(), lse.a.data(), expert.a.data(), mask.a.data(), T, k, E,
                        s.a.data());
      // The counts as a layout of 2 blocks × (k) peers × (E / 1) experts.
      const std::vector<int32_t> host_counts = c.host();
      std::vector<int32_t> layout = host_counts;
      layout.insert(layout.end(), host_counts.begin(), host_counts.end());
      const OnDevice<int32_t> lc(*ops, layout);
      OnDevice<int32_t> from(*ops, static_cast<size_t>(2 * T * k));
      ops->layout_order(lc.a.data(), 2, k, E, from.a.data());
      counts.push_back(host_counts);
      kept.push_back(keep.host());
      stats.push_back(s.host());
      order.push_back(from.host());
    }
    EXPECT_EQ(counts[0], counts[1]);
    EXPECT_EQ(kept[0], kept[1]);
    EXPECT_EQ(stats[0], stats[1]);
    EXPECT_EQ(order[0], order[1]);
    // And the counts are the counts: every assignment once.
    EXPECT_EQ(std::accumulate(counts[0].begin(), counts[0].end(), int64_t{0}), T * k);
    EXPECT_EQ(stats[0][2 * E], static_cast<double>(T));
  }
}

// The experts' order, against a stable sort of the layout's rows by expert.
TEST(DeviceOps, LayoutOrderIsAStableSortByExpert) {
  const int blocks = 3, peers = 2, L = 4;
  std::mt19937_64 g(11);
  std::vector<int32_t> counts(blocks * peers * L);
  for (auto& c : counts) c = static_cast<int32_t>(g() % 5);  // some empty
  std::vector<int> expert_of;                                // per layout row
  for (size_t i = 0; i < counts.size(); ++i) expert_of.insert(expert_of.end(), counts[i], i % L);
  std::vector<int32_t> want(expert_of.size());
  std::iota(want.begin(), want.end(), 0);
  std::stable_sort(want.begin(), want.end(),
                   [&](int32_t a, int32_t b) { return expert_of[a] < expert_of[b]; });
  for (const DeviceOps* ops : {&cpu_device_ops(), &emulated_gpu_device_ops()}) {
    SCOPED_TRACE(ops->name);
    const OnDevice<int32_t> c(*ops, counts);
    OnDevice<int32_t> from(*ops, want.size());
    ops->layout_order(c.a.data(), blocks, peers, L, from.a.data());
    EXPECT_EQ(from.host(), want);
  }
}

}  // namespace
}  // namespace paramoe
