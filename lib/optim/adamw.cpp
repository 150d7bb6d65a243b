#include "optim/adamw.h"

#include <cmath>

#include "core/error.h"
#include "kernels/cpu/adamw_update.h"

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
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = *params_[i];
    const cpu::AdamWStep s{static_cast<float>(cfg_.beta1),
                           static_cast<float>(cfg_.beta2),
                           static_cast<float>(cfg_.eps),
                           static_cast<float>(lr / bc1),
                           static_cast<float>(1.0 / bc2),
                           p.weight_decay ? static_cast<float>(lr * cfg_.weight_decay) : 0.0f};
    cpu::adamw_update(p.value.data(), p.grad.data(), m_[i].data(), v_[i].data(),
                      static_cast<int64_t>(p.value.size()), s);
  }
}

std::vector<std::vector<float>*> AdamW::moments_of(const Param& p) {
  for (size_t i = 0; i < params_.size(); ++i)
    if (params_[i] == &p) return {&m_[i], &v_[i]};
  throw Error("AdamW: " + p.name + " is not one of the optimizer's parameters");
}

}  // namespace paramoe
