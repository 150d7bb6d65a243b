#include "optim/grad_sync.h"

#include <algorithm>

namespace paramoe {

void grad_sync(const std::vector<Param*>& params, Collectives& coll) {
  // One flat buffer per group keeps it to two all-reduces per step.
  for (GradSync sync : {GradSync::Dp, GradSync::Edp}) {
    const Group g = sync == GradSync::Dp ? Group::Dp : Group::Edp;
    if (coll.grid().size(g) == 1) continue;
    std::vector<float> flat;
    for (Param* p : params)
      if (p->sync == sync) flat.insert(flat.end(), p->grad.begin(), p->grad.end());
    coll.allreduce_sum(g, flat.data(), flat.size());
    size_t off = 0;
    for (Param* p : params)
      if (p->sync == sync) {
        std::copy_n(flat.begin() + off, p->grad.size(), p->grad.begin());
        off += p->grad.size();
      }
  }
}

}  // namespace paramoe
