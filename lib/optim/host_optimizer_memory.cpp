// OptimizerMemory on the host: the arrays are the host vectors themselves, and the
// arithmetic is kernels/cpu's, in the order the CPU reference has always used.
#include <algorithm>

#include "kernels/cpu/elementwise.h"
#include "optim/optimizer_memory.h"

namespace paramoe {
namespace {

class HostOptimizerMemory final : public OptimizerMemory {
 public:
  float* mirror(std::vector<float>& host) override { return host.data(); }
  void upload(const float* host, int64_t n, float* dst) override {
    if (dst != host) std::copy_n(host, n, dst);
  }
  void download(const float* src, int64_t n, float* host) override {
    if (host != src) std::copy_n(src, n, host);
  }
  void copy(const float* src, int64_t n, float* dst) override { std::copy_n(src, n, dst); }
  void zero(float* x, int64_t n) override { std::fill_n(x, n, 0.0f); }
  void scale(float* x, int64_t n, float a) override { cpu::scale(x, n, a); }
  std::vector<double> sum_squares(const std::vector<const float*>& x,
                                  const std::vector<int64_t>& n) override {
    std::vector<double> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) cpu::sum_squares(x[i], n[i], &out[i]);
    return out;
  }
  void adamw_update(float* value, const float* grad, float* m, float* v, int64_t n,
                    const cpu::AdamWStep& s) override {
    cpu::adamw_update(value, grad, m, v, n, s);
  }
};

}  // namespace

std::unique_ptr<OptimizerMemory> make_host_optimizer_memory() {
  return std::make_unique<HostOptimizerMemory>();
}

}  // namespace paramoe
