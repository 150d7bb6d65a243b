#include "model/dense_mlp.h"

namespace paramoe {

DenseMlp::DenseMlp(const std::string& prefix, int64_t d_model, int64_t d_ffn, DenseBackend& be)
    : be_(&be),
      fc1_(ParallelLinear::column(prefix + "/fc1", d_model, d_ffn, be)),
      fc2_(ParallelLinear::row(prefix + "/fc2", d_ffn, d_model, be)),
      x_(be.new_buffer()),
      a_(be.new_buffer()),
      h_(be.new_buffer()),
      dh_(be.new_buffer()) {}

void DenseMlp::forward(const float* x, int64_t n, float* y) {
  n_ = n;
  const int64_t hidden = n * fc1_.out();
  be_->copy(x, n * fc1_.in(), x_->fit(n * fc1_.in()));
  float* a = a_->fit(hidden);
  float* h = h_->fit(hidden);
  fc1_.forward(x, n, a);
  be_->gelu_forward(a, hidden, h);
  fc2_.forward(h, n, y);
}

void DenseMlp::backward(const float* dy, float* dx) {
  const int64_t hidden = n_ * fc1_.out();
  float* dh = dh_->fit(hidden);
  fc2_.backward(h_->data(), dy, n_, dh);
  be_->gelu_backward(a_->data(), dh, hidden, dh);
  fc1_.backward(x_->data(), dh, n_, dx);
}

}  // namespace paramoe
