#pragma once
// Sums every parameter's gradient over the ranks that replicate it: dense and gate
// parameters over dp, expert parameters over edp. Losses are normalised by the
// global token count, so a sum (not a mean) gives the full-batch gradient. Works on
// the live gradients, in the memory that `coll` moves (the device's on the GPU).
#include <vector>

#include "comm/collectives.h"
#include "optim/optimizer_memory.h"

namespace paramoe {

class GradAllreduce {
 public:
  GradAllreduce(const std::vector<ResidentParam>& params, Collectives& coll, OptimizerMemory& mem);
  void run();  // collective over dp and edp

 private:
  // One flat buffer per group keeps it to two all-reduces per step.
  struct Bucket {
    Group group;
    std::vector<ResidentParam> params;
    std::vector<float> host;  // the buffer's host side (the buffer itself on the CPU)
    float* flat = nullptr;
  };
  std::vector<Bucket> buckets_;
  Collectives& coll_;
  OptimizerMemory& mem_;
};

}  // namespace paramoe
