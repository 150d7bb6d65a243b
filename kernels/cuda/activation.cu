#include "kernels/cuda/activation.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernel_util.cuh"

namespace paramoe::cuda {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

__device__ __forceinline__ float sigmoid(float x) {
  return 1.0f / (1.0f + expf(-x));
}

#define PARAMOE_FOR_EACH(i, n)                                              \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

template <class T>
__global__ void gelu_forward_kernel(const T* a, int64_t n, T* h) {
  PARAMOE_FOR_EACH(i, n) {
    const float x = detail::load(a + i);
    detail::store(h + i, 0.5f * x * (1.0f + erff(x * kInvSqrt2)));
  }
}

template <class T>
__global__ void gelu_backward_kernel(const T* a, const T* dh, int64_t n, T* da) {
  PARAMOE_FOR_EACH(i, n) {
    const float x = detail::load(a + i);
    const float cdf = 0.5f * (1.0f + erff(x * kInvSqrt2));
    const float pdf = kInvSqrt2Pi * expf(-0.5f * x * x);
    detail::store(da + i, detail::load(dh + i) * (cdf + x * pdf));
  }
}

template <class T>
__global__ void swiglu_forward_kernel(const T* a, const T* g, int64_t n, T* h) {
  PARAMOE_FOR_EACH(i, n) {
    const float x = detail::load(a + i);
    detail::store(h + i, x * sigmoid(x) * detail::load(g + i));
  }
}

template <class T>
__global__ void swiglu_backward_kernel(const T* a, const T* g, const T* dh, int64_t n, T* da,
                                       T* dg) {
  PARAMOE_FOR_EACH(i, n) {
    const float x = detail::load(a + i), d = detail::load(dh + i);
    const float s = sigmoid(x);
    detail::store(dg + i, d * x * s);
    detail::store(da + i, d * detail::load(g + i) * (s * (1.0f + x * (1.0f - s))));
  }
}

#undef PARAMOE_FOR_EACH

}  // namespace

#define PARAMOE_LAUNCH(kernel, n, ...)                                                      \
  do {                                                                                      \
    if ((n) > 0) kernel<<<detail::grid_for(n), detail::kThreads, 0, stream>>>(__VA_ARGS__); \
    PARAMOE_CUDA_LAUNCHED();                                                                \
  } while (0)

void gelu_forward(const float* a, int64_t n, float* h, cudaStream_t stream) {
  PARAMOE_LAUNCH(gelu_forward_kernel, n, a, n, h);
}
void gelu_forward(const bf16* a, int64_t n, bf16* h, cudaStream_t stream) {
  PARAMOE_LAUNCH(gelu_forward_kernel, n, a, n, h);
}
void gelu_backward(const float* a, const float* dh, int64_t n, float* da, cudaStream_t stream) {
  PARAMOE_LAUNCH(gelu_backward_kernel, n, a, dh, n, da);
}
void gelu_backward(const bf16* a, const bf16* dh, int64_t n, bf16* da, cudaStream_t stream) {
  PARAMOE_LAUNCH(gelu_backward_kernel, n, a, dh, n, da);
}
void swiglu_forward(const float* a, const float* g, int64_t n, float* h, cudaStream_t stream) {
  PARAMOE_LAUNCH(swiglu_forward_kernel, n, a, g, n, h);
}
void swiglu_forward(const bf16* a, const bf16* g, int64_t n, bf16* h, cudaStream_t stream) {
  PARAMOE_LAUNCH(swiglu_forward_kernel, n, a, g, n, h);
}
void swiglu_backward(const float* a, const float* g, const float* dh, int64_t n, float* da,
                     float* dg, cudaStream_t stream) {
  PARAMOE_LAUNCH(swiglu_backward_kernel, n, a, g, dh, n, da, dg);
}
void swiglu_backward(const bf16* a, const bf16* g, const bf16* dh, int64_t n, bf16* da, bf16* dg,
                     cudaStream_t stream) {
  PARAMOE_LAUNCH(swiglu_backward_kernel, n, a, g, dh, n, da, dg);
}

#undef PARAMOE_LAUNCH

}  // namespace paramoe::cuda
