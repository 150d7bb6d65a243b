#include "train/expert_rebalance.h"

#include <cstdio>
#include <numeric>

#include "core/error.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/timer.h"
#include "plan/cluster.h"
#include "plan/placement_plan.h"

namespace paramoe {
namespace {

std::vector<double> speeds_by_ep_index(const RunContext& rc) {
  const Layout& l = rc.grid->layout();
  std::vector<int> ep_of_rank(l.world);
  for (int r = 0; r < l.world; ++r) ep_of_rank[r] = group_index(r, l).ep;
  return slowest_speeds(rc.config.placement.device_speeds, ep_of_rank, l.ep);
}

int experts_moved(const ExpertPlacement& a, const ExpertPlacement& b) {
  int n = 0;
  for (int e = 0; e < a.num_experts(); ++e) n += a.owner[e] != b.owner[e];
  return n;
}

}  // namespace

void rebalance_validate(const RunContext& rc) {
  const PlacementConfig& pl = rc.config.placement;
  const int world = rc.grid->layout().world;
  if (!pl.device_speeds.empty() && static_cast<int>(pl.device_speeds.size()) != world)
    throw_collective(rc.config.origin + ": placement.device_speeds: expected " +
                     std::to_string(world) + " values (one per rank), got " +
                     std::to_string(pl.device_speeds.size()));
  if (pl.every > 0)
    log_info("placement: every " + std::to_string(pl.every) + " steps, policy " + pl.policy +
             ", min_gain " + std::to_string(pl.min_gain) +
             (pl.device_speeds.empty() ? ", equal devices" : ", unequal devices"));
}

bool rebalance_experts(const std::vector<MoeLayer*>& layers, AdamW& opt, const RunContext& rc,
                       int step) {
  const PlacementConfig& pl = rc.config.placement;
  if (pl.every <= 0 || step % pl.every != 0) return false;
  const int ep = rc.grid->layout().ep;
  const std::vector<double> speeds = speeds_by_ep_index(rc);
  const double speed_sum = std::accumulate(speeds.begin(), speeds.end(), 0.0);
  bool moved_any = false;
  for (size_t l = 0; l < layers.size(); ++l) {
    MoeLayer& layer = *layers[l];
    std::vector<double> load = layer.expert_load();
    rc.coll->allreduce_sum(Group::World, load.data(), load.size());
    layer.reset_expert_load();
    const ExpertPlacement& now = layer.placement();
    const ExpertPlacement next =
        pl.policy == "random"
            ? placement_random(now.num_experts(), ep,
                               splitmix64(static_cast<uint64_t>(step) * 131 + l))
            : placement_from_owners(plan_placement(load, speeds, ep), ep, "placement plan");
    // Expert time relative to a perfect split of the load by speed: 1.00 is ideal.
    const double ideal = std::accumulate(load.begin(), load.end(), 0.0) / speed_sum;
    const double before = placement_makespan(load, speeds, now.owner, ep);
    const double after = placement_makespan(load, speeds, next.owner, ep);
    const double gain = after > 0 ? before / after : 1.0;
    const int moving = experts_moved(now, next);
    const bool apply = moving > 0 && (pl.policy == "random" || gain >= pl.min_gain);
    char line[256];
    if (apply) {
      const double t0 = now_seconds();
      if (!moved_any) opt.to_host();  // the moves run on the host's values and moments
      layer.apply_placement(next, [&](const Param& p) { return opt.moments_of(p); });
      std::snprintf(line, sizeof line,
                    "placement: step %d layer %zu: moved %d of %d experts; expert time / ideal "
                    "%.3f -> %.3f (gain %.3fx) in %.1f ms",
                    step, l, moving, now.num_experts(), ideal > 0 ? before / ideal : 1.0,
                    ideal > 0 ? after / ideal : 1.0, gain, (now_seconds() - t0) * 1e3);
      moved_any = true;
    } else {
      std::snprintf(line, sizeof line,
                    "placement: step %d layer %zu: kept (expert time / ideal %.3f, best plan "
                    "gain %.3fx < min_gain %.2f)",
                    step, l, ideal > 0 ? before / ideal : 1.0, gain, pl.min_gain);
    }
    log_info(line);
  }
  if (moved_any) opt.from_host();
  return moved_any;
}

}  // namespace paramoe
