#pragma once
// One rank's slice of the experts on the GPU, the mirror of expert_ffn.h:
// act(x·W1 + b1)·W2 (+ b2) on rows sorted by local expert, and its backward. T is
// the storage type (float, or bf16 with fp32 accumulation). Pointers are device
// pointers; the offsets [experts + 1] are on the host (the GEMM shapes).
#include <cstdint>
#include <vector>

#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/expert_ops.h"
#include "moe/expert_ffn.h"

namespace paramoe {

template <class T>
struct DeviceExpertWeights {
  const T *w1, *b1, *w3, *b3, *w2, *b2;  // w3, b3 only for SwiGLU
};

template <class T>
struct DeviceExpertGrads {
  T *w1, *b1, *w3, *b3, *w2, *b2;
};

// Forward activations saved for the backward, and the backward's scratch; both grow
// to the largest batch and are reused.
template <class T>
struct DeviceExpertScratch {
  cuda::DeviceBuffer<T> a, g, h;  // pre-activation, SwiGLU up projection, activation
  cuda::DeviceBuffer<T> dh, da, dg;
};

// accumulate_out: out += rather than out = (data-centric sums the ESP slices).
template <class T>
void device_expert_ffn_forward(const ExpertDims& d, const DeviceExpertWeights<T>& w, const T* xs,
                               const std::vector<int64_t>& offsets, bool add_b2,
                               DeviceExpertScratch<T>& s, T* out, cuda::ExpertGemm how,
                               bool accumulate_out = false);

// Weight and bias gradients are written, or added to with `accumulate`; dxs (this
// slice's partial input gradient) is written, or added to with accumulate_dx.
template <class T>
void device_expert_ffn_backward(const ExpertDims& d, const DeviceExpertWeights<T>& w, const T* xs,
                                const T* dout, const std::vector<int64_t>& offsets, bool accumulate,
                                const DeviceExpertGrads<T>& g, DeviceExpertScratch<T>& s, T* dxs,
                                cuda::ExpertGemm how, bool accumulate_dx = false);

}  // namespace paramoe
