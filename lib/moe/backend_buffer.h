#pragma once
// A float array in a backend's memory (host or device) that outlives a pass's
// scratch: data-centric execution's weight cache, which all MoE layers of a model
// share, keeps its weights and gradients in these, so that its collectives move
// them in the same memory as the layers' rows; the dense model parts
// (model/dense_backend.h) keep their activations in them.
#include <cstdint>
#include <memory>

namespace paramoe {

class BackendBuffer {
 public:
  virtual ~BackendBuffer() = default;
  virtual void assign_zeros(int64_t n) = 0;  // n floats, all zero
  virtual void zero(int64_t n) = 0;          // the first n floats
  // At least n floats, for a pass that overwrites them: the contents are
  // unspecified after the buffer grows. Returns data().
  virtual float* fit(int64_t n) = 0;
  virtual float* data() = 0;
  virtual int64_t size() const = 0;
};

// A buffer in host memory (the CPU backends').
std::unique_ptr<BackendBuffer> make_host_buffer();

}  // namespace paramoe
