// Runs on a GPU machine; on a machine without one it skips and says why.
#include <gtest/gtest.h>

#include "device/cuda_device_info.h"

TEST(CudaDevice, VisibleDevices) {
  std::string why;
  const int n = paramoe::cuda::device_count(why);
  if (n == 0) GTEST_SKIP() << "no GPU: " << why;
  EXPECT_GT(n, 0);
}
