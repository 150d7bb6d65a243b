#include "optim/grad_allreduce.h"

namespace paramoe {

GradAllreduce::GradAllreduce(const std::vector<ResidentParam>& params, Collectives& coll,
                             OptimizerMemory& mem)
    : coll_(coll), mem_(mem) {
  for (GradSync sync : {GradSync::Dp, GradSync::Edp}) {
    const Group g = sync == GradSync::Dp ? Group::Dp : Group::Edp;
    if (coll.grid().size(g) == 1) continue;
    Bucket b{g, {}, {}, nullptr};
    size_t n = 0;
    for (const ResidentParam& r : params)
      if (r.param->sync == sync) {
        b.params.push_back(r);
        n += r.param->grad.size();
      }
    b.host.assign(n, 0.0f);
    buckets_.push_back(std::move(b));
  }
  // After the moves: on the CPU the flat buffer is the host vector itself.
  for (Bucket& b : buckets_) b.flat = mem_.mirror(b.host);
}

void GradAllreduce::run() {
  for (Bucket& b : buckets_) {
    int64_t off = 0;
    for (const ResidentParam& r : b.params) {
      const auto n = static_cast<int64_t>(r.param->grad.size());
      mem_.copy(r.grad, n, b.flat + off);
      off += n;
    }
    coll_.allreduce_sum(b.group, b.flat, static_cast<size_t>(off));
    off = 0;
    for (const ResidentParam& r : b.params) {
      const auto n = static_cast<int64_t>(r.param->grad.size());
      mem_.copy(b.flat + off, n, r.grad);
      off += n;
    }
  }
}

}  // namespace paramoe
