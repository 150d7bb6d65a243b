#include "model/layer_norm.h"

namespace paramoe {

namespace {
constexpr float kEps = 1e-5f;  // PyTorch's nn.LayerNorm default
}

LayerNorm::LayerNorm(const std::string& name, int64_t dim, DenseBackend& be)
    : gamma(param_make(name + "/gamma", {dim}, {0}, {dim}, GradSync::Dp, false)),
      beta(param_make(name + "/beta", {dim}, {0}, {dim}, GradSync::Dp, false)),
      be_(&be),
      dim_(dim),
      x_(be.new_buffer()),
      mean_(be.new_buffer()),
      rstd_(be.new_buffer()) {
  param_init_constant(gamma, 1.0f);
}

void LayerNorm::forward(const float* x, int64_t rows, float* y) {
  rows_ = rows;
  be_->copy(x, rows * dim_, x_->fit(rows * dim_));
  be_->layernorm_forward(x, be_->value(gamma), be_->value(beta), rows, dim_, kEps, y,
                         mean_->fit(rows), rstd_->fit(rows));
}

void LayerNorm::backward(const float* dy, float* dx) {
  be_->layernorm_backward(x_->data(), be_->value(gamma), mean_->data(), rstd_->data(), dy, rows_,
                          dim_, dx, be_->grad(gamma), be_->grad(beta));
}

}  // namespace paramoe
