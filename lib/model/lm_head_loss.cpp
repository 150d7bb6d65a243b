#include "model/lm_head_loss.h"

#include <cmath>

#include "model/parallel_linear.h"

namespace paramoe {

LmHeadLoss::LmHeadLoss(Param& wte, DenseBackend& be)
    : wte_(wte),
      be_(&be),
      x_(be.new_buffer()),
      logits_(be.new_buffer()),
      row_max_(be.new_buffer()),
      parts_(be.new_buffer()),
      dlogits_(be.new_buffer()) {}

double LmHeadLoss::forward(const float* x, int64_t n, const int32_t* targets) {
  const int64_t V = wte_.shape[0], D = wte_.shape[1], v0 = wte_.offset[0];
  n_ = n;
  be_->copy(x, n * D, x_->fit(n * D));
  targets_.assign(targets, targets + n);
  float* logits = logits_->fit(n * V);
  be_->gemm(false, true, n, V, D, 1.0f, x, D, be_->value(wte_), D, 0.0f, logits, V);
  float* row_max = row_max_->fit(n);
  be_->ce_row_max(logits, n, V, row_max);
  // The loss is summed on the host: row maxima, normalisers and target logits
  // come back (3n floats), the logits never do.
  host_.resize(3 * n);
  float* max_h = host_.data();
  be_->download(row_max, n, max_h);
  Collectives& coll = be_->coll();
  if (coll.grid().size(Group::Mp) > 1) {
    std::vector<double> m(max_h, max_h + n);
    coll.allreduce_max(Group::Mp, m.data(), m.size());
    for (int64_t i = 0; i < n; ++i) max_h[i] = static_cast<float>(m[i]);
    be_->upload(max_h, n, row_max);
  }
  // One reduction for the normalisers and the target logits together.
  float* parts = parts_->fit(2 * n);
  be_->ce_sum_exp_and_target(logits, n, V, v0, targets, row_max, parts, parts + n);
  mp_allreduce(coll, parts, 2 * n);
  const float* parts_h = host_.data() + n;
  be_->download(parts, 2 * n, host_.data() + n);
  double loss = 0.0;
  for (int64_t i = 0; i < n; ++i)
    if (targets[i] >= 0)
      loss += std::log(static_cast<double>(parts_h[i])) + max_h[i] - parts_h[n + i];
  return loss;
}

void LmHeadLoss::backward(float scale, float* dx) {
  const int64_t V = wte_.shape[0], D = wte_.shape[1], v0 = wte_.offset[0];
  float* dlogits = dlogits_->fit(n_ * V);
  be_->ce_backward(logits_->data(), n_, V, v0, targets_.data(), row_max_->data(), parts_->data(),
                   scale, dlogits);
  be_->gemm(true, false, V, D, n_, 1.0f, dlogits, V, x_->data(), D, 1.0f, be_->grad(wte_), D);
  be_->gemm(false, false, n_, D, V, 1.0f, dlogits, V, be_->value(wte_), D, 0.0f, dx, D);
  mp_allreduce(be_->coll(), dx, n_ * D);
}

std::vector<float> LmHeadLoss::logits_of(const float* x, int64_t n) {
  const int64_t V = wte_.shape[0], D = wte_.shape[1];
  n_ = n;
  be_->gemm(false, true, n, V, D, 1.0f, x, D, be_->value(wte_), D, 0.0f, logits_->fit(n * V), V);
  return logits();
}

std::vector<float> LmHeadLoss::logits() {
  std::vector<float> out(n_ * wte_.shape[0]);
  be_->download(logits_->data(), static_cast<int64_t>(out.size()), out.data());
  return out;
}

}  // namespace paramoe
