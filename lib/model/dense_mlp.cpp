#include "model/dense_mlp.h"

#include "kernels/cpu/activation.h"

namespace paramoe {

DenseMlp::DenseMlp(const std::string& prefix, int64_t d_model, int64_t d_ffn, Collectives& coll)
    : fc1_(ParallelLinear::column(prefix + "/fc1", d_model, d_ffn, coll)),
      fc2_(ParallelLinear::row(prefix + "/fc2", d_ffn, d_model, coll)) {}

void DenseMlp::forward(const float* x, int64_t n, float* y) {
  n_ = n;
  x_.assign(x, x + n * fc1_.in());
  a_.resize(n * fc1_.out());
  h_.resize(a_.size());
  fc1_.forward(x, n, a_.data());
  cpu::gelu_forward(a_.data(), static_cast<int64_t>(a_.size()), h_.data());
  fc2_.forward(h_.data(), n, y);
}

void DenseMlp::backward(const float* dy, float* dx) {
  dh_.resize(h_.size());
  fc2_.backward(h_.data(), dy, n_, dh_.data());
  cpu::gelu_backward(a_.data(), dh_.data(), static_cast<int64_t>(a_.size()), dh_.data());
  fc1_.backward(x_.data(), dh_.data(), n_, dx);
}

}  // namespace paramoe
