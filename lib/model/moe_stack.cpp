#include "model/moe_stack.h"

#include <algorithm>

#include "kernels/cpu/elementwise.h"

namespace paramoe {

MoeStack::MoeStack(const MoeConfig& cfg, int layers, Collectives& coll, uint64_t seed,
                   const StepBackendMaker& make)
    : host_(make_cpu_dense_backend(coll)), D_(cfg.d_model) {
  ln_.reserve(layers);  // LayerNorms are referenced by params(); no reallocation
  for (int l = 0; l < layers; ++l) {
    const std::string prefix = "layers/" + std::to_string(l) + "/";
    ln_.emplace_back(prefix + "ln", D_, *host_);
    moe_.push_back(std::make_unique<MoeLayer>(cfg, coll, prefix + "moe/", seed, make));
  }
  cache_ = weight_cache_share(cfg, coll, moe_layers());
}

std::vector<Param*> MoeStack::params() {
  std::vector<Param*> out;
  for (size_t l = 0; l < moe_.size(); ++l) {
    for (Param* p : ln_[l].params()) out.push_back(p);
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
  std::vector<float> cur(x, x + tokens * D_), ln(tokens * D_), moe_out(tokens * D_);
  for (size_t l = 0; l < moe_.size(); ++l) {
    ln_[l].forward(cur.data(), tokens, ln.data());
    moe_[l]->forward_host(ln.data(), tokens, moe_out.data());
    cpu::accumulate(moe_out.data(), tokens * D_, cur.data());
  }
  std::copy(cur.begin(), cur.end(), y);
}

void MoeStack::backward(const float* dy, float* dx) {
  std::vector<float> grad(dy, dy + tokens_ * D_), dln(tokens_ * D_), dres(tokens_ * D_);
  for (size_t l = moe_.size(); l-- > 0;) {
    moe_[l]->backward_host(grad.data(), dln.data());
    ln_[l].backward(dln.data(), dres.data());
    cpu::accumulate(dres.data(), tokens_ * D_, grad.data());
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
