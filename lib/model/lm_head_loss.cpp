#include "model/lm_head_loss.h"

#include <cmath>

#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/gemm.h"
#include "model/parallel_linear.h"

namespace paramoe {

LmHeadLoss::LmHeadLoss(Param& wte, Collectives& coll) : wte_(wte), coll_(&coll) {}

double LmHeadLoss::forward(const float* x, int64_t n, const int32_t* targets) {
  const int64_t V = wte_.shape[0], D = wte_.shape[1], v0 = wte_.offset[0];
  n_ = n;
  x_.assign(x, x + n * D);
  targets_.assign(targets, targets + n);
  logits_.resize(n * V);
  cpu::gemm(false, true, n, V, D, 1.0f, x, D, wte_.value.data(), D, 0.0f, logits_.data(), V);
  row_max_.resize(n);
  cpu::ce_row_max(logits_.data(), n, V, row_max_.data());
  if (coll_->grid().size(Group::Mp) > 1) {
    std::vector<double> m(row_max_.begin(), row_max_.end());
    coll_->allreduce_max(Group::Mp, m.data(), m.size());
    for (int64_t i = 0; i < n; ++i) row_max_[i] = static_cast<float>(m[i]);
  }
  // One reduction for the normalisers and the target logits together.
  std::vector<float> parts(2 * n);
  cpu::ce_sum_exp_and_target(logits_.data(), n, V, v0, targets, row_max_.data(), parts.data(),
                             parts.data() + n);
  mp_allreduce(*coll_, parts.data(), 2 * n);
  sum_exp_.assign(parts.begin(), parts.begin() + n);
  double loss = 0.0;
  for (int64_t i = 0; i < n; ++i)
    if (targets[i] >= 0)
      loss += std::log(static_cast<double>(sum_exp_[i])) + row_max_[i] - parts[n + i];
  return loss;
}

void LmHeadLoss::backward(float scale, float* dx) {
  const int64_t V = wte_.shape[0], D = wte_.shape[1], v0 = wte_.offset[0];
  dlogits_.resize(logits_.size());
  cpu::ce_backward(logits_.data(), n_, V, v0, targets_.data(), row_max_.data(), sum_exp_.data(),
                   scale, dlogits_.data());
  cpu::gemm(true, false, V, D, n_, 1.0f, dlogits_.data(), V, x_.data(), D, 1.0f, wte_.grad.data(),
            D);
  cpu::gemm(false, false, n_, D, V, 1.0f, dlogits_.data(), V, wte_.value.data(), D, 0.0f, dx, D);
  mp_allreduce(*coll_, dx, n_ * D);
}

}  // namespace paramoe
