#include "device/backend_buffer.h"

namespace paramoe {

BackendBuffer::~BackendBuffer() {
  if (p_) mem_.release(p_);
}

void BackendBuffer::reserve(int64_t n) {
  if (n <= capacity_) return;
  auto* p = static_cast<float*>(mem_.allocate(n * sizeof(float)));
  if (p_) {
    mem_.copy(p_, size_ * sizeof(float), p);
    mem_.release(p_);
  }
  p_ = p;
  capacity_ = n;
}

void BackendBuffer::assign_zeros(int64_t n) {
  size_ = 0;  // nothing to keep
  reserve(n);
  mem_.zero(p_, n * sizeof(float));
  size_ = n;
}

void BackendBuffer::zero(int64_t n) {
  mem_.zero(p_, n * sizeof(float));
}

float* BackendBuffer::fit(int64_t n) {
  if (n > size_) {
    reserve(n);
    mem_.zero(p_ + size_, (n - size_) * sizeof(float));
    size_ = n;
  }
  return p_;
}

std::unique_ptr<BackendBuffer> make_buffer(const DeviceOps& ops) {
  return std::make_unique<BackendBuffer>(ops.memory);
}

}  // namespace paramoe
