#pragma once
// An image classifier's head: the mean of each image's tokens, a linear map to
// `classes` logits and the cross-entropy against the labels. Replicated over MP
// (the class count is small, so no rank splits it). The mean over tokens is one
// GEMM with a block-averaging matrix, so it runs on any backend.
#include <memory>
#include <vector>

#include "model/dense_backend.h"
#include "model/parallel_linear.h"

namespace paramoe {

class ClassifierHead {
 public:
  ClassifierHead(int64_t d_model, int64_t classes, DenseBackend& be);
  // x [images · tokens, d_model]; labels [images] (host). Returns Σ over images of
  // −log softmax(logits)[label].
  double forward(const float* x, int64_t images, int64_t tokens, const int32_t* labels);
  // dx = d(scale · Σ losses)/dx, overwritten; the linear map's grads accumulate.
  void backward(float scale, float* dx);
  std::vector<float> logits();  // [images, classes], on the host
  int64_t correct();            // images whose largest logit is their label
  std::vector<Param*> params() { return {&fc.w, &fc.b}; }

  ParallelLinear fc;

 private:
  DenseBackend* be_;
  int64_t images_ = 0, tokens_ = 0;
  std::vector<int32_t> labels_;
  std::vector<float> host_;
  std::unique_ptr<BackendBuffer> average_, pooled_, logits_, row_max_, parts_, dlogits_, dpooled_;
};

}  // namespace paramoe
