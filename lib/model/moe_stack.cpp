#include "model/moe_stack.h"

#include "comm/watchdog.h"
#include "model/resident_params.h"

namespace paramoe {

MoeStack::MoeStack(const std::vector<MoeConfig>& layers, Collectives& coll, uint64_t seed,
                   const StepBackendMaker& make, const DenseBackendMaker& make_dense)
    : dense_(make_dense(coll)),
      D_(layers.front().d_model),
      x_(dense_->new_buffer()),
      ln_out_(dense_->new_buffer()),
      moe_out_(dense_->new_buffer()) {
  ln_.reserve(layers.size());  // LayerNorms are referenced by params(); no reallocation
  for (size_t l = 0; l < layers.size(); ++l) {
    const std::string prefix = "layers/" + std::to_string(l) + "/";
    ln_.emplace_back(prefix + "ln", D_, *dense_);
    moe_.push_back(std::make_unique<MoeLayer>(layers[l], coll, prefix + "moe/", seed, make));
  }
  for (LayerNorm& ln : ln_)
    for (Param* p : ln.params()) dense_->attach(*p);
  cache_ = weight_cache_share(coll, moe_layers());
}

std::vector<Param*> MoeStack::params() {
  std::vector<Param*> out;
  for (size_t l = 0; l < moe_.size(); ++l) {
    for (Param* p : ln_[l].params()) out.push_back(p);
    for (Param* p : moe_[l]->params().all()) out.push_back(p);
  }
  return out;
}

std::vector<ResidentParam> MoeStack::resident_params() {
  return resident_params_of(params(), *dense_, moe_layers());
}

void MoeStack::values_changed() {
  for (auto& m : moe_) m->values_changed();
}

std::vector<MoeLayer*> MoeStack::moe_layers() {
  std::vector<MoeLayer*> out;
  for (auto& m : moe_) out.push_back(m.get());
  return out;
}

void MoeStack::forward(const float* x, int64_t tokens, float* y) {
  tokens_ = tokens;
  const int64_t n = tokens * D_;
  float* cur = x_->fit(n);
  float* ln = ln_out_->fit(n);
  float* out = moe_out_->fit(n);
  dense_->upload(x, n, cur);
  for (size_t l = 0; l < moe_.size(); ++l) {
    watchdog_at_block(static_cast<int>(l));
    ln_[l].forward(cur, tokens, ln);
    moe_[l]->forward(ln, tokens, out);
    dense_->accumulate(out, n, cur);
  }
  watchdog_at_block(-1);
  dense_->download(cur, n, y);
}

// The forward's buffers are free again: the stream's gradient reuses x_, and a
// block's input and output gradients reuse the others.
void MoeStack::backward(const float* dy, float* dx) {
  const int64_t n = tokens_ * D_;
  float* grad = x_->data();
  float* dln = ln_out_->data();
  float* dres = moe_out_->data();
  dense_->upload(dy, n, grad);
  for (size_t l = moe_.size(); l-- > 0;) {
    watchdog_at_block(static_cast<int>(l));
    moe_[l]->backward(grad, dln);
    ln_[l].backward(dln, dres);
    dense_->accumulate(dres, n, grad);
  }
  watchdog_at_block(-1);
  if (dx) dense_->download(grad, n, dx);
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
