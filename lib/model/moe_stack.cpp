#include "model/moe_stack.h"

#include <algorithm>

#include "core/error.h"
#include "kernels/cpu/layernorm.h"

namespace paramoe {

namespace {
constexpr float kLnEps = 1e-5f;
}

MoeStack::MoeStack(const MoeConfig& cfg, int layers, Collectives& coll, uint64_t seed,
                   const StepBackendMaker& make)
    : D_(cfg.d_model), saved_(layers) {
  for (int l = 0; l < layers; ++l) {
    const std::string prefix = "layers/" + std::to_string(l) + "/";
    ln_gamma_.push_back(
        param_make(prefix + "ln/gamma", {D_}, {0}, {D_}, GradSync::Dp, /*weight_decay=*/false));
    ln_beta_.push_back(param_make(prefix + "ln/beta", {D_}, {0}, {D_}, GradSync::Dp, false));
    param_init_constant(ln_gamma_.back(), 1.0f);
    moe_.push_back(std::make_unique<MoeLayer>(cfg, coll, prefix + "moe/", seed, make));
  }
}

std::vector<Param*> MoeStack::params() {
  std::vector<Param*> out;
  for (size_t l = 0; l < moe_.size(); ++l) {
    out.push_back(&ln_gamma_[l]);
    out.push_back(&ln_beta_[l]);
    for (Param* p : moe_[l]->params().all()) out.push_back(p);
  }
  return out;
}

void MoeStack::load_params() {
  for (auto& m : moe_) m->load_params();
}

void MoeStack::store_grads() {
  for (auto& m : moe_) m->store_grads();
}

std::vector<MoeLayer*> MoeStack::moe_layers() {
  std::vector<MoeLayer*> out;
  for (auto& m : moe_) out.push_back(m.get());
  return out;
}

void MoeStack::forward(const float* x, int64_t tokens, float* y) {
  tokens_ = tokens;
  std::vector<float> cur(x, x + tokens * D_), moe_out(tokens * D_);
  for (size_t l = 0; l < moe_.size(); ++l) {
    Saved& s = saved_[l];
    s.x = cur;
    s.ln.assign(tokens * D_, 0.0f);
    s.mean.assign(tokens, 0.0f);
    s.rstd.assign(tokens, 0.0f);
    cpu::layernorm_forward(cur.data(), ln_gamma_[l].value.data(), ln_beta_[l].value.data(), tokens,
                           D_, kLnEps, s.ln.data(), s.mean.data(), s.rstd.data());
    moe_[l]->forward_host(s.ln.data(), tokens, moe_out.data());
    for (int64_t i = 0; i < tokens * D_; ++i) cur[i] += moe_out[i];
  }
  std::copy(cur.begin(), cur.end(), y);
}

void MoeStack::backward(const float* dy, float* dx) {
  std::vector<float> grad(dy, dy + tokens_ * D_), dln(tokens_ * D_), dres(tokens_ * D_);
  for (size_t l = moe_.size(); l-- > 0;) {
    const Saved& s = saved_[l];
    moe_[l]->backward_host(grad.data(), dln.data());
    cpu::layernorm_backward(s.x.data(), ln_gamma_[l].value.data(), s.mean.data(), s.rstd.data(),
                            dln.data(), tokens_, D_, dres.data(), ln_gamma_[l].grad.data(),
                            ln_beta_[l].grad.data());
    for (int64_t i = 0; i < tokens_ * D_; ++i) grad[i] += dres[i];
  }
  if (dx) std::copy(grad.begin(), grad.end(), dx);
}

float MoeStack::aux_loss() const {
  float s = 0;
  for (const auto& m : moe_) s += m->aux_loss();
  return s;
}

float MoeStack::z_loss() const {
  float s = 0;
  for (const auto& m : moe_) s += m->z_loss();
  return s;
}

int64_t MoeStack::alltoall_bytes() const {
  int64_t b = 0;
  for (const auto& m : moe_) b += m->last_run().alltoall_bytes();
  return b;
}

int64_t MoeStack::dropped_assignments() const {
  int64_t n = 0;
  for (const auto& m : moe_) n += m->last_run().routing.dropped_global;
  return n;
}

double MoeStack::alltoall_seconds() const {
  double s = 0;
  for (const auto& m : moe_) s += m->last_run().alltoall_seconds();
  return s;
}

}  // namespace paramoe
