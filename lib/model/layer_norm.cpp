#include "model/layer_norm.h"

#include "kernels/cpu/layernorm.h"

namespace paramoe {

namespace {
constexpr float kEps = 1e-5f;  // PyTorch's nn.LayerNorm default
}

LayerNorm::LayerNorm(const std::string& name, int64_t dim)
    : gamma(param_make(name + "/gamma", {dim}, {0}, {dim}, GradSync::Dp, false)),
      beta(param_make(name + "/beta", {dim}, {0}, {dim}, GradSync::Dp, false)),
      dim_(dim) {
  param_init_constant(gamma, 1.0f);
}

void LayerNorm::forward(const float* x, int64_t rows, float* y) {
  rows_ = rows;
  x_.assign(x, x + rows * dim_);
  mean_.resize(rows);
  rstd_.resize(rows);
  cpu::layernorm_forward(x, gamma.value.data(), beta.value.data(), rows, dim_, kEps, y,
                         mean_.data(), rstd_.data());
}

void LayerNorm::backward(const float* dy, float* dx) {
  cpu::layernorm_backward(x_.data(), gamma.value.data(), mean_.data(), rstd_.data(), dy, rows_,
                          dim_, dx, gamma.grad.data(), beta.grad.data());
}

}  // namespace paramoe
