#pragma once
// A grow-only, move-only array in a device's memory (DeviceOps::memory): scratch
// that layers written over the op table reuse call after call. Nothing is zeroed.
#include <cstddef>
#include <utility>
#include <vector>

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

// Typed transfers in a device's memory (DeviceMemory's are in bytes): n elements.
template <class T>
void upload(const DeviceMemory& m, const T* host, size_t n, T* dst) {
  m.upload(host, n * sizeof(T), dst);
}
template <class T>
void download(const DeviceMemory& m, const T* src, size_t n, T* host) {
  m.download(src, n * sizeof(T), host);
}
template <class T>
void copy(const DeviceMemory& m, const T* src, size_t n, T* dst) {
  m.copy(src, n * sizeof(T), dst);
}
// n elements of the device's memory as a host vector.
template <class T>
std::vector<T> to_host(const DeviceMemory& m, const T* src, size_t n) {
  std::vector<T> host(n);
  download(m, src, n, host.data());
  return host;
}
template <class T>
void zero(const DeviceMemory& m, T* p, size_t n) {
  m.zero(p, n * sizeof(T));
}

// n host elements where the device's kernels read them: the host array itself in
// host memory, else uploaded into `scratch`. On the GPU the upload is synchronous
// on the default stream, after the kernels queued before it, so one scratch array
// per kind is never overwritten while a kernel still reads it.
template <class T>
const T* on_device(const DeviceOps& ops, const T* host, size_t n, DeviceArray<T>& scratch) {
  if (ops.host || host == nullptr) return host;
  T* d = scratch.fit(ops.memory, n);
  upload(ops.memory, host, n, d);
  return d;
}

}  // namespace paramoe
