#pragma once
// A trainable tensor as this rank holds it: its logical name and global shape, the
// hyperslab of the global tensor it owns, its value and its gradient. The global
// view is what checkpoints store and what golden tests compare against, so any
// layout can be checked against (or loaded from) the unsharded tensor.
#include <cstdint>
#include <string>
#include <vector>

namespace paramoe {

// Which data-parallel group sums this parameter's gradient.
enum class GradSync {
  Dp,   // dense and gate parameters: replicas across data-parallel ranks
  Edp,  // expert parameters: replicas across expert-data-parallel ranks
};

struct Param {
  std::string name;
  std::vector<int64_t> global_shape;
  std::vector<int64_t> offset;  // start of this rank's hyperslab
  std::vector<int64_t> shape;   // this rank's hyperslab
  std::vector<int64_t> dim0;    // if set: the global indices of dimension 0 held (slab.h)
  std::vector<float> value;
  std::vector<float> grad;
  GradSync sync = GradSync::Dp;
  bool weight_decay = true;

  void zero_grad();
};

// A parameter and the live copy of its value and gradient that the model computes
// with: the Param's own vectors on the CPU, a backend's device arrays on the GPU.
// The optimizer updates this copy in place; the Param's vectors are brought up to
// date from it only where the host needs them (checkpoints, expert moves). The
// pointers stay valid for the model's lifetime: Param vectors never reallocate
// after construction (expert moves permute rows in place).
struct ResidentParam {
  Param* param = nullptr;
  float* value = nullptr;
  float* grad = nullptr;
};

// A parameter's own host vectors as its live copy (the CPU backends).
ResidentParam resident_on_host(Param& p);
std::vector<ResidentParam> resident_on_host(const std::vector<Param*>& params);

Param param_make(std::string name, std::vector<int64_t> global_shape, std::vector<int64_t> offset,
                 std::vector<int64_t> shape, GradSync sync, bool weight_decay);

// Makes p hold the dimension-0 indices `rows` (ascending, shape[0] of them) instead
// of a range; the values are not moved (expert_placement.h does that).
void param_set_dim0(Param& p, std::vector<int64_t> rows);

// Fill value with U(-bound, bound) drawn per global element index, so the values do
// not depend on the layout.
void param_init_uniform(Param& p, float bound, uint64_t seed);
void param_init_constant(Param& p, float v);

// Copy this rank's hyperslab out of / into a full row-major global tensor.
void hyperslab_extract(const float* global, const std::vector<int64_t>& global_shape,
                       const std::vector<int64_t>& offset, const std::vector<int64_t>& shape,
                       float* local, const std::vector<int64_t>& dim0 = {});
void hyperslab_insert(const float* local, const std::vector<int64_t>& global_shape,
                      const std::vector<int64_t>& offset, const std::vector<int64_t>& shape,
                      float* global, const std::vector<int64_t>& dim0 = {});

}  // namespace paramoe
