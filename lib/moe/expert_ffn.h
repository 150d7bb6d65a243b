#pragma once
// One rank's slice of the experts: act(x·W1 + b1)·W2 (+ b2), on rows sorted by
// local expert, written once over a device's ExpertOps (device/device_ops.h): the
// CPU runs it on host memory in row blocks, the GPU on device memory in grouped
// calls, in bf16 too (T = cuda::bf16). With ESP the hidden dimension is sliced, so
// the output is a partial sum that the schedule reduces over ESP; b2 is added by
// ESP rank 0 only, so that the reduction adds it exactly once.
#include <cstdint>
#include <functional>

#include "device/device_array.h"
#include "device/device_ops.h"

namespace paramoe {

struct ExpertDims {
  int64_t experts;  // local experts
  int64_t d_model;
  int64_t hidden;  // this rank's hidden slice
  bool swiglu;
  // Rows the FFN runs at a time; 0: the device's choice (ExpertOps::block_rows).
  int64_t block_rows = 0;
};

// Pointers in the device's memory; w3, b3 only for SwiGLU.
template <class T>
struct ExpertWeightsOf {
  const T *w1, *b1, *w3, *b3, *w2, *b2;
};
template <class T>
struct ExpertGradsOf {
  T *w1, *b1, *w3, *b3, *w2, *b2;
};
using ExpertWeights = ExpertWeightsOf<float>;
using ExpertGrads = ExpertGradsOf<float>;

// The forward's activations, which the backward reads, and the backward's scratch;
// both grow to the largest batch and are reused.
template <class T>
struct ExpertScratch {
  DeviceArray<T> a, g, h;     // pre-activation, SwiGLU up projection, activation
  DeviceArray<T> dh, da, dg;  // one row block's gradients
};
using ExpertActivations = ExpertScratch<float>;

// out = (or +=, with accumulate) the FFN of xs. between_blocks, if set, runs after
// each row block: the CPU drives the collectives in flight with it (MPI progresses
// only inside MPI calls).
template <class T>
void expert_ffn_forward(const ExpertOps<T>& ops, const ExpertDims& d, const ExpertWeightsOf<T>& w,
                        const T* xs, const int64_t* offsets, bool add_b2, ExpertScratch<T>& s,
                        T* out, bool accumulate = false,
                        const std::function<void()>& between_blocks = {});

// dxs is this slice's partial input gradient, written (or added to, with
// accumulate_dx). The weight and bias gradients are added to g, or written with
// !accumulate_grads (only where the device runs all rows at once, so that every
// expert, even one without rows, is written). db2 is the full bias gradient of the
// rows given (every ESP rank holds all rows of its group, so each computes it whole).
template <class T>
void expert_ffn_backward(const ExpertOps<T>& ops, const ExpertDims& d, const ExpertWeightsOf<T>& w,
                         const T* xs, ExpertScratch<T>& s, const T* dout, const int64_t* offsets,
                         const ExpertGradsOf<T>& g, T* dxs, bool accumulate_dx = false,
                         const std::function<void()>& between_blocks = {},
                         bool accumulate_grads = true);

}  // namespace paramoe
