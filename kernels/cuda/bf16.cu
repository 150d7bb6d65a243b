#include "kernels/cuda/bf16.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernel_util.cuh"

namespace paramoe::cuda {
namespace {

template <class In, class Out>
__global__ void cast_kernel(const In* x, int64_t n, Out* y) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    detail::store(y + i, detail::load(x + i));
}

}  // namespace

void cast(const float* x, int64_t n, bf16* y, cudaStream_t stream) {
  cast_kernel<<<detail::grid_for(n), detail::kThreads, 0, stream>>>(x, n, y);
  PARAMOE_CUDA_LAUNCHED();
}

void cast(const bf16* x, int64_t n, float* y, cudaStream_t stream) {
  cast_kernel<<<detail::grid_for(n), detail::kThreads, 0, stream>>>(x, n, y);
  PARAMOE_CUDA_LAUNCHED();
}

const bf16* cast_into(const float* x, int64_t n, DeviceBuffer<bf16>& to, cudaStream_t stream) {
  to.fit(static_cast<size_t>(n));
  if (n) cast(x, n, to.data(), stream);
  return to.data();
}

}  // namespace paramoe::cuda
