#include "optim/adamw.h"

#include <cmath>

#include "core/error.h"

namespace paramoe {

AdamW::AdamW(const std::vector<Param*>& params, AdamWConfig cfg) : params_(params), cfg_(cfg) {
  for (Param* p : params_) {
    m_.emplace_back(p->value.size(), 0.0f);
    v_.emplace_back(p->value.size(), 0.0f);
  }
}

void AdamW::step(double lr) {
  ++t_;
  const double bc1 = 1.0 - std::pow(cfg_.beta1, t_), bc2 = 1.0 - std::pow(cfg_.beta2, t_);
  const float b1 = static_cast<float>(cfg_.beta1), b2 = static_cast<float>(cfg_.beta2);
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = *params_[i];
    const float decay = p.weight_decay ? static_cast<float>(lr * cfg_.weight_decay) : 0.0f;
    const float step = static_cast<float>(lr / bc1);
    const float inv_bc2 = static_cast<float>(1.0 / bc2);
    for (size_t j = 0; j < p.value.size(); ++j) {
      const float g = p.grad[j];
      m_[i][j] = b1 * m_[i][j] + (1.0f - b1) * g;
      v_[i][j] = b2 * v_[i][j] + (1.0f - b2) * g * g;
      const float denom = std::sqrt(v_[i][j] * inv_bc2) + static_cast<float>(cfg_.eps);
      p.value[j] -= step * m_[i][j] / denom + decay * p.value[j];
    }
  }
}

std::vector<std::vector<float>*> AdamW::moments_of(const Param& p) {
  for (size_t i = 0; i < params_.size(); ++i)
    if (params_[i] == &p) return {&m_[i], &v_[i]};
  throw Error("AdamW: " + p.name + " is not one of the optimizer's parameters");
}

}  // namespace paramoe
