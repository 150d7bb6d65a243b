#include "optim/grad_norm.h"

#include <cmath>

namespace paramoe {

GradNorm::GradNorm(const std::vector<Param*>& params, Collectives& coll)
    : params_(params), coll_(coll), inv_replicas_(params.size()) {
  std::vector<double> held(params.size());
  for (size_t i = 0; i < params.size(); ++i) held[i] = static_cast<double>(params[i]->value.size());
  coll.allreduce_sum(Group::World, held.data(), held.size());
  for (size_t i = 0; i < params.size(); ++i) {
    double global = 1.0;
    for (int64_t d : params[i]->global_shape) global *= static_cast<double>(d);
    inv_replicas_[i] = global / held[i];
  }
}

double GradNorm::global_norm() const {
  double sq = 0.0;
  for (size_t i = 0; i < params_.size(); ++i) {
    double s = 0.0;
    for (float g : params_[i]->grad) s += static_cast<double>(g) * g;
    sq += s * inv_replicas_[i];
  }
  coll_.allreduce_sum(Group::World, &sq, 1);
  return std::sqrt(sq);
}

double GradNorm::clip(double max_norm) const {
  const double norm = global_norm();
  if (max_norm > 0.0 && norm > max_norm) {
    const auto coef = static_cast<float>(max_norm / (norm + 1e-6));
    for (Param* p : params_)
      for (float& g : p->grad) g *= coef;
  }
  return norm;
}

}  // namespace paramoe
