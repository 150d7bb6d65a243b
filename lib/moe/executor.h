#pragma once
// Runs a schedule's step list on a collectives backend.
#include <vector>

#include "comm/collectives.h"
#include "core/config.h"
#include "core/shadow_mode.h"
#include "moe/expert_blocks.h"
#include "moe/expert_placement.h"
#include "moe/moe_run.h"
#include "moe/step_backend.h"
#include "moe/weight_cache.h"

namespace paramoe {

struct ExecContext {
  const Schedule& schedule;  // the steps, and the buffers they name by slot
  const MoeConfig& cfg;
  Collectives& coll;
  StepBackend& dev;
  const ExpertPlacement& placement;
  MoeRun& run;
  WeightCache* cache;  // data-centric schedules only
  int cache_id;        // this layer's id in `cache`
  // One expert of this rank's hidden slice as a block (expert_blocks.h): how a
  // shadowed expert's weights travel (moe.shadow).
  const ExpertBlock& shadow_block;
  ShadowMode shadow;  // moe.shadow, parsed
};

// Runs the schedule's forward or backward steps.
void schedule_execute(bool backward, ExecContext& ctx);

}  // namespace paramoe
