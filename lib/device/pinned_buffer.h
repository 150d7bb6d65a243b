#pragma once
// An owning, move-only array of page-locked host memory: the staging area for
// device buffers that travel over MPI (CUDA-aware MPI is not assumed), and what
// lets device↔host copies run at full PCIe/NVLink-C2C speed.
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "kernels/cuda/cuda_check.h"

namespace paramoe::cuda {

template <class T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(PinnedBuffer&& o) noexcept
      : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer() {
    if (p_) cudaFreeHost(p_);
  }
  // At least n elements (contents lost when it grows).
  T* fit(size_t n) {
    if (n > n_) {
      PinnedBuffer fresh;
      PARAMOE_CUDA_CHECK(cudaMallocHost(&fresh.p_, n * sizeof(T)));
      fresh.n_ = n;
      *this = std::move(fresh);
    }
    return p_;
  }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace paramoe::cuda
