#include "optim/grad_norm.h"

#include <cmath>

namespace paramoe {

GradNorm::GradNorm(const std::vector<ResidentParam>& params, Collectives& coll,
                   OptimizerMemory& mem)
    : params_(params), coll_(coll), mem_(mem), inv_replicas_(params.size()) {
  std::vector<double> held(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const Param& p = *params[i].param;
    held[i] = static_cast<double>(p.value.size());
    grads_.push_back(params[i].grad);
    sizes_.push_back(static_cast<int64_t>(p.grad.size()));
  }
  coll.allreduce_sum(Group::World, held.data(), held.size());
  for (size_t i = 0; i < params.size(); ++i) {
    double global = 1.0;
    for (int64_t d : params[i].param->global_shape) global *= static_cast<double>(d);
    inv_replicas_[i] = global / held[i];
  }
}

double GradNorm::global_norm() const {
  const std::vector<double> sums = mem_.sum_squares(grads_, sizes_);
  double sq = 0.0;
  for (size_t i = 0; i < params_.size(); ++i) sq += sums[i] * inv_replicas_[i];
  coll_.allreduce_sum(Group::World, &sq, 1);
  return std::sqrt(sq);
}

double GradNorm::clip(double max_norm) const {
  const double norm = global_norm();
  if (max_norm > 0.0 && norm > max_norm) {
    const auto coef = static_cast<float>(max_norm / (norm + 1e-6));
    for (size_t i = 0; i < params_.size(); ++i) mem_.scale(params_[i].grad, sizes_[i], coef);
  }
  return norm;
}

}  // namespace paramoe
