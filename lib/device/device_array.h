#pragma once
// A grow-only, move-only array in a device's memory (DeviceOps::memory): scratch
// that layers written over the op table reuse call after call. Nothing is zeroed.
#include <cstddef>
#include <utility>

#include "core/error.h"
#include "device/device_ops.h"

namespace paramoe {

template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(DeviceArray&& o) noexcept
      : mem_(std::exchange(o.mem_, nullptr)),
        p_(std::exchange(o.p_, nullptr)),
        cap_(std::exchange(o.cap_, 0)) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    std::swap(mem_, o.mem_);
    std::swap(p_, o.p_);
    std::swap(cap_, o.cap_);
    return *this;
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() {
    if (p_) mem_->release(p_);
  }

  // At least n elements in m's memory; what was there is kept only if it fits.
  T* fit(const DeviceMemory& m, size_t n) {
    PARAMOE_REQUIRE(mem_ == nullptr || mem_ == &m, "DeviceArray: moved to another device");
    if (n > cap_) {
      if (p_) m.release(p_);
      p_ = nullptr;
      cap_ = 0;
      p_ = static_cast<T*>(m.allocate(n * sizeof(T)));
      cap_ = n;
    }
    mem_ = &m;
    return p_;
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t capacity() const { return cap_; }

 private:
  const DeviceMemory* mem_ = nullptr;
  T* p_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace paramoe
