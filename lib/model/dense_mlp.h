#pragma once
// The dense FFN, gelu(x·W1 + b1)·W2 + b2, with W1 column-parallel and W2
// row-parallel over MP (Megatron): one all-reduce forward, one backward.
// Activations live in the backend's memory.
#include <memory>
#include <vector>

#include "model/dense_backend.h"
#include "model/parallel_linear.h"

namespace paramoe {

class DenseMlp {
 public:
  DenseMlp(const std::string& prefix, int64_t d_model, int64_t d_ffn, DenseBackend& be);
  void forward(const float* x, int64_t n, float* y);
  void backward(const float* dy, float* dx);
  std::vector<Param*> params() { return {&fc1_.w, &fc1_.b, &fc2_.w, &fc2_.b}; }
  ParallelLinear& fc1() { return fc1_; }
  ParallelLinear& fc2() { return fc2_; }

 private:
  DenseBackend* be_;
  ParallelLinear fc1_, fc2_;
  int64_t n_ = 0;
  std::unique_ptr<BackendBuffer> x_, a_, h_, dh_;
};

}  // namespace paramoe
