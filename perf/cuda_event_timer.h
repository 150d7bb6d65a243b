#pragma once
// Times GPU work on the default stream with CUDA events, for the GPU benchmarks.
#include <cuda_runtime.h>

#include "kernels/cuda/cuda_check.h"

namespace paramoe::perf {

class CudaEventTimer {
 public:
  CudaEventTimer() {
    PARAMOE_CUDA_CHECK(cudaEventCreate(&a_));
    PARAMOE_CUDA_CHECK(cudaEventCreate(&b_));
  }
  ~CudaEventTimer() {
    cudaEventDestroy(a_);
    cudaEventDestroy(b_);
  }
  CudaEventTimer(const CudaEventTimer&) = delete;
  CudaEventTimer& operator=(const CudaEventTimer&) = delete;

  // Seconds between events recorded before and after f() (which enqueues work).
  template <class F>
  double seconds(F&& f) {
    PARAMOE_CUDA_CHECK(cudaEventRecord(a_));
    f();
    PARAMOE_CUDA_CHECK(cudaEventRecord(b_));
    PARAMOE_CUDA_CHECK(cudaEventSynchronize(b_));
    float ms = 0.0f;
    PARAMOE_CUDA_CHECK(cudaEventElapsedTime(&ms, a_, b_));
    return ms * 1e-3;
  }

 private:
  cudaEvent_t a_, b_;
};

}  // namespace paramoe::perf
