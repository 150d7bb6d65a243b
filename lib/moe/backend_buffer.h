#pragma once
// A float array in a StepBackend's memory (host or device) that outlives the
// backend's per-pass buffers: data-centric execution's weight cache, which all MoE
// layers of a model share, keeps its weights and gradients in these, so that its
// collectives move them in the same memory as the layers' rows.
#include <cstdint>

namespace paramoe {

class BackendBuffer {
 public:
  virtual ~BackendBuffer() = default;
  virtual void assign_zeros(int64_t n) = 0;  // n floats, all zero
  virtual void zero(int64_t n) = 0;          // the first n floats
  virtual float* data() = 0;
  virtual int64_t size() const = 0;
};

}  // namespace paramoe
