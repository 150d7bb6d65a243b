#pragma once
// An owning, move-only device array; the test and benchmark code's way to hold
// device memory. Copies are explicit (upload / download).
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "kernels/cuda/cuda_check.h"

namespace paramoe::cuda {

// Floats between host and device memory, finished when they return (a copy on the
// legacy default stream also waits for the kernels queued before it), and within
// the device, queued on that stream. The backends' upload, download and copy.
inline void copy_to_device(const float* host, int64_t n, float* dst) {
  if (n) PARAMOE_CUDA_CHECK(cudaMemcpy(dst, host, n * sizeof(float), cudaMemcpyHostToDevice));
}
inline void copy_to_host(const float* src, int64_t n, float* host) {
  if (n) PARAMOE_CUDA_CHECK(cudaMemcpy(host, src, n * sizeof(float), cudaMemcpyDeviceToHost));
}
inline void copy_on_device(const float* src, int64_t n, float* dst) {
  if (n) PARAMOE_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice));
}

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) : n_(n) {
    if (n_) PARAMOE_CUDA_CHECK(cudaMalloc(&p_, n_ * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (p_) cudaFree(p_);  // no throw from a destructor; a failed free is moot at exit
  }

  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }

  void upload(const std::vector<T>& host) {
    if (n_) PARAMOE_CUDA_CHECK(cudaMemcpy(p_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> download() const { return download(n_); }
  // The first n elements.
  std::vector<T> download(size_t n) const {
    std::vector<T> host(n);
    if (n) PARAMOE_CUDA_CHECK(cudaMemcpy(host.data(), p_, n * sizeof(T), cudaMemcpyDeviceToHost));
    return host;
  }
  // All bytes 0xFF: NaN for float and bf16, −1 for integers. Tests poison outputs
  // so that a kernel that skips an element cannot pass on stale values.
  void poison() {
    if (n_) PARAMOE_CUDA_CHECK(cudaMemset(p_, 0xFF, n_ * sizeof(T)));
  }
  // Reallocates (contents lost) when smaller than n: scratch that grows with the
  // largest batch seen and is reused after that.
  void fit(size_t n) {
    if (n > n_) *this = DeviceBuffer(n);
  }
  void zero() {
    if (n_) PARAMOE_CUDA_CHECK(cudaMemset(p_, 0, n_ * sizeof(T)));
  }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace paramoe::cuda
