#include "model/resident_params.h"

#include <map>

namespace paramoe {

std::vector<ResidentParam> resident_params_of(const std::vector<Param*>& order, DenseBackend& dense,
                                              const std::vector<MoeLayer*>& layers) {
  std::map<const Param*, ResidentParam> in_layer;
  for (MoeLayer* m : layers)
    for (const ResidentParam& r : m->resident_params()) in_layer[r.param] = r;
  std::vector<ResidentParam> out;
  for (Param* p : order) {
    auto it = in_layer.find(p);
    out.push_back(it != in_layer.end() ? it->second : dense.resident(*p));
  }
  return out;
}

}  // namespace paramoe
