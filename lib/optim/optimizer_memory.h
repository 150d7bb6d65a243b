#pragma once
// Where the optimizer's arrays live and the arithmetic it runs on them: host
// memory and kernels/cpu on the CPU, the GPU's memory and kernels/cuda there. The
// optimizer works on the parameters' live copies (ResidentParam) and keeps its
// moments and gradient-sync buffers beside them, so that a GPU step (gradient sync,
// norm, clipping, AdamW) moves no parameter data over PCIe; the host Params and
// moments are brought up to date only when the host needs them (AdamW::to_host).
#include <cstdint>
#include <memory>
#include <vector>

#include "core/param.h"
#include "kernels/cpu/adamw_update.h"

namespace paramoe {

class OptimizerMemory {
 public:
  virtual ~OptimizerMemory() = default;

  // This memory's copy of `host`, holding its contents: `host` itself in host
  // memory, a new array (owned here) on a device. `host` must outlive its use.
  virtual float* mirror(std::vector<float>& host) = 0;
  // Between host memory and this memory's; nothing to do where they are one array.
  virtual void upload(const float* host, int64_t n, float* dst) = 0;
  virtual void download(const float* src, int64_t n, float* host) = 0;

  virtual void copy(const float* src, int64_t n, float* dst) = 0;
  virtual void zero(float* x, int64_t n) = 0;
  virtual void scale(float* x, int64_t n, float a) = 0;
  // Σ x² of each array (x[i] of n[i] floats) in double, on the host.
  virtual std::vector<double> sum_squares(const std::vector<const float*>& x,
                                          const std::vector<int64_t>& n) = 0;
  virtual void adamw_update(float* value, const float* grad, float* m, float* v, int64_t n,
                            const cpu::AdamWStep& s) = 0;
};

std::unique_ptr<OptimizerMemory> make_host_optimizer_memory();

// Zeroes every live gradient (after the optimizer step).
void zero_grads(const std::vector<ResidentParam>& params, OptimizerMemory& mem);

}  // namespace paramoe
