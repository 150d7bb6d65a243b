#pragma once
// Runs a schedule's step list on a collectives backend.
#include <vector>

#include "comm/collectives.h"
#include "core/config.h"
#include "moe/expert_placement.h"
#include "moe/moe_params.h"
#include "moe/moe_run.h"

namespace paramoe {

struct ExecContext {
  const MoeConfig& cfg;
  Collectives& coll;
  MoeParams& params;
  const ExpertPlacement& placement;
  MoeRun& run;
};

void schedule_execute(const std::vector<Step>& steps, bool backward, ExecContext& ctx);

}  // namespace paramoe
