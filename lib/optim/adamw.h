#pragma once
// AdamW (decoupled weight decay) on the parameters' live copies (ResidentParam),
// in the memory they live in: fp32 masters and moments on the GPU when the model
// computes there. Parameters flagged weight_decay = false (biases, norms) are not
// decayed. The moments' host vectors are the checkpoints' view of them, current
// after to_host().
#include <vector>

#include "optim/optimizer_memory.h"

namespace paramoe {

struct AdamWConfig {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.01;
};

class AdamW {
 public:
  AdamW(const std::vector<ResidentParam>& params, AdamWConfig cfg, OptimizerMemory& mem);
  // One update from the live gradients (which it leaves as they are).
  void step(double lr);

  // Brings the host side up to date from the live copies: every Param's value and
  // both moments (before a checkpoint is written or experts move). from_host is the
  // reverse, after those host arrays changed (a restore, an expert move). No-ops
  // where the live copies are the host arrays (the CPU).
  void to_host();
  void from_host();

  // State that checkpoints save (host side): the moments of params[i] and the step
  // count that the bias corrections use.
  std::vector<float>& first_moment(size_t i) { return m_[i]; }
  std::vector<float>& second_moment(size_t i) { return v_[i]; }
  // Both moments of parameter p (which must be one this optimizer updates), for
  // state that moves with its parameter (expert placement).
  std::vector<std::vector<float>*> moments_of(const Param& p);
  int steps_taken() const { return t_; }
  void set_steps_taken(int t) { t_ = t; }

 private:
  std::vector<ResidentParam> params_;
  AdamWConfig cfg_;
  OptimizerMemory& mem_;
  std::vector<std::vector<float>> m_, v_;  // host side
  std::vector<float*> live_m_, live_v_;    // in mem_
  int t_ = 0;
};

}  // namespace paramoe
