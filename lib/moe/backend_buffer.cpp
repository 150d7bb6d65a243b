#include "moe/backend_buffer.h"

#include <algorithm>
#include <vector>

namespace paramoe {

namespace {
class HostBuffer final : public BackendBuffer {
 public:
  void assign_zeros(int64_t n) override { v_.assign(n, 0.0f); }
  void zero(int64_t n) override { std::fill_n(v_.begin(), n, 0.0f); }
  float* fit(int64_t n) override {
    if (static_cast<int64_t>(v_.size()) < n) v_.resize(n);
    return v_.data();
  }
  float* data() override { return v_.data(); }
  int64_t size() const override { return static_cast<int64_t>(v_.size()); }

 private:
  std::vector<float> v_;
};
}  // namespace

std::unique_ptr<BackendBuffer> make_host_buffer() {
  return std::make_unique<HostBuffer>();
}

}  // namespace paramoe
