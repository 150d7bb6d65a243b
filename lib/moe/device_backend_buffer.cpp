#include "moe/device_backend_buffer.h"

#include "kernels/cuda/device_buffer.h"

namespace paramoe {

namespace {
class DeviceFloatBuffer final : public BackendBuffer {
 public:
  void assign_zeros(int64_t n) override {
    b_ = cuda::DeviceBuffer<float>(static_cast<size_t>(n));
    b_.zero();
  }
  void zero(int64_t n) override {
    if (n) PARAMOE_CUDA_CHECK(cudaMemsetAsync(b_.data(), 0, n * sizeof(float)));
  }
  float* fit(int64_t n) override {
    b_.fit(static_cast<size_t>(n));
    return b_.data();
  }
  float* data() override { return b_.data(); }
  int64_t size() const override { return static_cast<int64_t>(b_.size()); }

 private:
  cuda::DeviceBuffer<float> b_;
};
}  // namespace

std::unique_ptr<BackendBuffer> make_device_buffer() {
  return std::make_unique<DeviceFloatBuffer>();
}

}  // namespace paramoe
