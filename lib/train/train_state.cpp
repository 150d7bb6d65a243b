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

std::vector<TensorSlab> balance_bias_slabs(const std::vector<MoeLayer*>& layers) {
  std::vector<TensorSlab> slabs;
  for (MoeLayer* m : layers) {
    std::vector<float>& bias = m->params().balance_bias;
    if (bias.empty()) continue;
    std::string name = m->params().gate.name;  // "<layer>/gate"
    name = "balance/" + name.substr(0, name.size() - 4) + "bias";
    const int64_t E = static_cast<int64_t>(bias.size());
    slabs.push_back(TensorSlab{name, {E}, {0}, {E}, {}, bias.data()});
  }
  return slabs;
}

}  // namespace paramoe
