#include "optim/cuda_optimizer_memory.h"

#include <list>

#include "kernels/cuda/adamw_update.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/elementwise.h"

namespace paramoe {
namespace {

class CudaOptimizerMemory final : public OptimizerMemory {
 public:
  float* mirror(std::vector<float>& host) override {
    // A list: the arrays handed out keep their addresses as more are added.
    return owned_.emplace_back(host).data();
  }
  void upload(const float* host, int64_t n, float* dst) override {
    cuda::copy_to_device(host, n, dst);
  }
  void download(const float* src, int64_t n, float* host) override {
    cuda::copy_to_host(src, n, host);
  }
  void copy(const float* src, int64_t n, float* dst) override { cuda::copy_on_device(src, n, dst); }
  void zero(float* x, int64_t n) override {
    if (n) PARAMOE_CUDA_CHECK(cudaMemsetAsync(x, 0, n * sizeof(float)));
  }
  void scale(float* x, int64_t n, float a) override { cuda::scale(x, n, a); }
  // One kernel pair per array into one device vector, then one copy back.
  std::vector<double> sum_squares(const std::vector<const float*>& x,
                                  const std::vector<int64_t>& n) override {
    sums_.fit(x.size());
    for (size_t i = 0; i < x.size(); ++i) cuda::sum_squares(x[i], n[i], sums_.data() + i);
    return sums_.download(x.size());
  }
  void adamw_update(float* value, const float* grad, float* m, float* v, int64_t n,
                    const cpu::AdamWStep& s) override {
    cuda::adamw_update(value, grad, m, v, n, s);
  }

 private:
  std::list<cuda::DeviceBuffer<float>> owned_;
  cuda::DeviceBuffer<double> sums_;
};

}  // namespace

std::unique_ptr<OptimizerMemory> make_cuda_optimizer_memory() {
  return std::make_unique<CudaOptimizerMemory>();
}

}  // namespace paramoe
