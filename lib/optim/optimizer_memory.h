#pragma once
// Where the optimizer's arrays live and the arithmetic it runs on them, on one
// device, written once over its op table (device/device_ops.h): host memory and
// kernels/cpu on the CPU, the GPU's memory and kernels/cuda there. The optimizer
// works on the parameters' live copies (ResidentParam) and keeps its moments and
// gradient-sync buffers beside them, so that a GPU step (gradient sync, norm,
// clipping, AdamW) moves no parameter data over PCIe; the host Params and moments
// are brought up to date only when the host needs them (AdamW::to_host). On the GPU
// the arithmetic is queued on the legacy default stream, where the model's kernels
// run, so the step is ordered after the backward without a synchronisation.
#include <cstdint>
#include <list>
#include <memory>
#include <vector>

#include "core/param.h"
#include "device/device_array.h"
#include "device/device_ops.h"

namespace paramoe {

class OptimizerMemory {
 public:
  explicit OptimizerMemory(const DeviceOps& ops) : ops_(ops) {}
  OptimizerMemory(const OptimizerMemory&) = delete;
  OptimizerMemory& operator=(const OptimizerMemory&) = delete;

  // This memory's copy of `host`, holding its contents: `host` itself in host
  // memory, a new array (owned here) on a device. `host` must outlive its use.
  float* mirror(std::vector<float>& host);
  // Between host memory and this memory's; nothing to do where they are one array.
  void upload(const float* host, int64_t n, float* dst);
  void download(const float* src, int64_t n, float* host);

  void copy(const float* src, int64_t n, float* dst);
  void zero(float* x, int64_t n);
  void scale(float* x, int64_t n, float a) { ops_.scale(x, n, a); }
  // Σ x² of each array (x[i] of n[i] floats) in double, on the host: one kernel per
  // array into one device vector, then one copy back.
  std::vector<double> sum_squares(const std::vector<const float*>& x,
                                  const std::vector<int64_t>& n);
  void adamw_update(float* value, const float* grad, float* m, float* v, int64_t n,
                    const cpu::AdamWStep& s) {
    ops_.adamw_update(value, grad, m, v, n, s);
  }

 private:
  const DeviceOps& ops_;
  std::list<DeviceArray<float>> owned_;  // a list: the arrays keep their addresses
  DeviceArray<double> sums_;
};

std::unique_ptr<OptimizerMemory> make_host_optimizer_memory();

// Zeroes every live gradient (after the optimizer step).
void zero_grads(const std::vector<ResidentParam>& params, OptimizerMemory& mem);

}  // namespace paramoe
