#include "moe/moe_layer.h"

#include <algorithm>

#include "core/error.h"
#include "moe/executor.h"

namespace paramoe {

MoeLayer::MoeLayer(const MoeConfig& cfg, Collectives& coll, const std::string& name_prefix,
                   uint64_t seed)
    : cfg_(cfg), coll_(coll), params_(moe_params_make(cfg, coll.grid(), name_prefix)) {
  moe_params_init(params_, seed);
  set_schedule(cfg.schedule);
}

void MoeLayer::set_schedule(const std::string& name) {
  MoeConfig probe = cfg_;
  probe.schedule = name;
  layout_validate(coll_.grid().layout(), probe);
  cfg_.schedule = name;
  schedule_ = schedule_build(name);
}

void MoeLayer::forward(const float* x, int64_t tokens, float* y) {
  run_ = MoeRun{};
  run_.tokens = tokens;
  run_.buf["x"].assign(x, x + tokens * cfg_.d_model);
  ExecContext ctx{cfg_, coll_, params_, run_};
  schedule_execute(schedule_.forward, false, ctx);
  const auto& out = run_.buf.at("y");
  std::copy(out.begin(), out.end(), y);
}

void MoeLayer::backward(const float* dy, float* dx) {
  PARAMOE_REQUIRE(run_.buf.count("y"), "MoeLayer::backward called before forward");
  run_.buf["dy"].assign(dy, dy + run_.tokens * cfg_.d_model);
  ExecContext ctx{cfg_, coll_, params_, run_};
  schedule_execute(schedule_.backward, true, ctx);
  const auto& out = run_.buf.at("dx");
  std::copy(out.begin(), out.end(), dx);
}

}  // namespace paramoe
