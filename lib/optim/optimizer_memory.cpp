#include "optim/optimizer_memory.h"

namespace paramoe {

void zero_grads(const std::vector<ResidentParam>& params, OptimizerMemory& mem) {
  for (const ResidentParam& r : params)
    mem.zero(r.grad, static_cast<int64_t>(r.param->grad.size()));
}

}  // namespace paramoe
