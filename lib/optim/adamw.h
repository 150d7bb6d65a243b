#pragma once
// AdamW (decoupled weight decay). Parameters flagged weight_decay = false (biases,
// norms) are not decayed. Moments live here, keyed by the parameter's position.
#include <vector>

#include "core/param.h"

namespace paramoe {

struct AdamWConfig {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.01;
};

class AdamW {
 public:
  AdamW(const std::vector<Param*>& params, AdamWConfig cfg);
  void step(double lr);

  // State that checkpoints save: the moments of params[i] and the step count
  // that the bias corrections use.
  std::vector<float>& first_moment(size_t i) { return m_[i]; }
  std::vector<float>& second_moment(size_t i) { return v_[i]; }
  // Both moments of parameter p (which must be one this optimizer updates), for
  // state that moves with its parameter (expert placement).
  std::vector<std::vector<float>*> moments_of(const Param& p);
  int steps_taken() const { return t_; }
  void set_steps_taken(int t) { t_ = t; }

 private:
  std::vector<Param*> params_;
  AdamWConfig cfg_;
  std::vector<std::vector<float>> m_, v_;
  int t_ = 0;
};

}  // namespace paramoe
