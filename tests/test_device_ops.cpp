// The op table's memory side (lib/device): device arrays and the long-lived
// BackendBuffer, on the host's table and on the emulated GPU's, whose memory the
// layers must treat as a device's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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

}  // namespace
}  // namespace paramoe
