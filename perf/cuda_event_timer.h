#pragma once
// Times GPU work on the default stream with CUDA events, for the GPU benchmarks.
#include <cuda_runtime.h>

#include <algorithm>
#include <vector>

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

// Google Benchmark's manual time for a GPU step: 3 warm-ups, then one CUDA-event
// timing per iteration; sets the counters median_ms and TFLOPs (for `flops` per
// step).
template <class State, class F>
void time_gpu_steps(State& state, double flops, F&& step) {
  CudaEventTimer timer;
  for (int i = 0; i < 3; ++i) timer.seconds(step);
  std::vector<double> ms;
  for (auto _ : state) {
    const double t = timer.seconds(step);
    ms.push_back(t * 1e3);
    state.SetIterationTime(t);
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  state.counters["median_ms"] = median;
  state.counters["TFLOPs"] = flops / (median * 1e-3) * 1e-12;
}

}  // namespace paramoe::perf
