#pragma once
// A float array in a device's memory (DeviceMemory) that outlives a pass's scratch:
// data-centric execution's weight cache, which all MoE layers of a model share,
// keeps its weights and gradients in these, so that its collectives move them in
// the same memory as the layers' rows; the dense model parts
// (model/dense_backend.h) keep their activations in them. It behaves as a
// std::vector<float> would: growing keeps the contents and zeroes what it adds.
#include <cstdint>
#include <memory>

#include "device/device_ops.h"

namespace paramoe {

class BackendBuffer {
 public:
  explicit BackendBuffer(const DeviceMemory& memory) : mem_(memory) {}
  BackendBuffer(const BackendBuffer&) = delete;
  BackendBuffer& operator=(const BackendBuffer&) = delete;
  ~BackendBuffer();

  void assign_zeros(int64_t n);  // n floats, all zero
  void zero(int64_t n);          // the first n floats
  // At least n floats (grown, never shrunk). Returns data().
  float* fit(int64_t n);
  float* data() { return p_; }
  int64_t size() const { return size_; }

 private:
  void reserve(int64_t n);  // capacity for n, keeping the first size_ floats

  const DeviceMemory& mem_;
  float* p_ = nullptr;
  int64_t size_ = 0, capacity_ = 0;
};

// A buffer in `ops`'s memory.
std::unique_ptr<BackendBuffer> make_buffer(const DeviceOps& ops);

}  // namespace paramoe
