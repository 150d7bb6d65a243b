#include "train/train_state.h"

namespace paramoe {

std::vector<TensorSlab> train_state_slabs(const std::vector<Param*>& params, AdamW& opt) {
  std::vector<TensorSlab> slabs;
  for (size_t i = 0; i < params.size(); ++i)
    slabs.push_back(slab_like(*params[i], "params/", params[i]->value.data()));
  for (size_t i = 0; i < params.size(); ++i)
    slabs.push_back(slab_like(*params[i], "optimizer/adam_m/", opt.first_moment(i).data()));
  for (size_t i = 0; i < params.size(); ++i)
    slabs.push_back(slab_like(*params[i], "optimizer/adam_v/", opt.second_moment(i).data()));
  return slabs;
}

}  // namespace paramoe
