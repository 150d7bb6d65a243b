#include "optim/adamw.h"

#include <cmath>

#include "core/error.h"

namespace paramoe {

AdamW::AdamW(const std::vector<ResidentParam>& params, AdamWConfig cfg, OptimizerMemory& mem)
    : params_(params), cfg_(cfg), mem_(mem) {
  for (const ResidentParam& r : params_) {
    m_.emplace_back(r.param->value.size(), 0.0f);
    v_.emplace_back(r.param->value.size(), 0.0f);
  }
  // After every push_back: the host vectors are where they stay.
  for (size_t i = 0; i < params_.size(); ++i) {
    live_m_.push_back(mem_.mirror(m_[i]));
    live_v_.push_back(mem_.mirror(v_[i]));
  }
}

void AdamW::step(double lr) {
  ++t_;
  const double bc1 = 1.0 - std::pow(cfg_.beta1, t_), bc2 = 1.0 - std::pow(cfg_.beta2, t_);
  for (size_t i = 0; i < params_.size(); ++i) {
    const ResidentParam& r = params_[i];
    const cpu::AdamWStep s{
        static_cast<float>(cfg_.beta1),
        static_cast<float>(cfg_.beta2),
        static_cast<float>(cfg_.eps),
        static_cast<float>(lr / bc1),
        static_cast<float>(1.0 / bc2),
        r.param->weight_decay ? static_cast<float>(lr * cfg_.weight_decay) : 0.0f};
    mem_.adamw_update(r.value, r.grad, live_m_[i], live_v_[i],
                      static_cast<int64_t>(r.param->value.size()), s);
  }
}

void AdamW::to_host() {
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = *params_[i].param;
    const auto n = static_cast<int64_t>(p.value.size());
    mem_.download(params_[i].value, n, p.value.data());
    mem_.download(live_m_[i], n, m_[i].data());
    mem_.download(live_v_[i], n, v_[i].data());
  }
}

void AdamW::from_host() {
  for (size_t i = 0; i < params_.size(); ++i) {
    const Param& p = *params_[i].param;
    const auto n = static_cast<int64_t>(p.value.size());
    mem_.upload(p.value.data(), n, params_[i].value);
    mem_.upload(m_[i].data(), n, live_m_[i]);
    mem_.upload(v_[i].data(), n, live_v_[i]);
  }
}

std::vector<std::vector<float>*> AdamW::moments_of(const Param& p) {
  for (size_t i = 0; i < params_.size(); ++i)
    if (params_[i].param == &p) return {&m_[i], &v_[i]};
  throw Error("AdamW: " + p.name + " is not one of the optimizer's parameters");
}

}  // namespace paramoe
