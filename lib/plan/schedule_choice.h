#pragma once
// schedule = "auto": the predicted-best schedule for a layer on a layout, from the
// predictor (predictor.h) over the candidates the layout allows.
#include <string>
#include <vector>

#include "plan/predictor.h"

namespace paramoe {

struct ScheduleOption {
  std::string name;
  int chunks = 1;
  Prediction prediction;
};

// The model-centric schedules, which "auto" chooses from.
inline const std::vector<std::string> kModelCentric = {"replicated", "s1", "s2"};

// The candidates a layout allows among `names`, as (schedule, chunks): replicated
// (where esp = mp), s1, s2 at each of `chunks`, and dc (data-centric).
std::vector<std::pair<std::string, int>> schedule_candidates(
    const Layout& layout, const std::vector<int>& chunks,
    const std::vector<std::string>& names = kModelCentric);

// One schedule predicted ("dc": data-centric execution).
ScheduleOption schedule_option(const std::string& name, int chunks, const LayerShape& shape,
                               const Layout& layout, const ClusterSpec& cluster);

// The same, each predicted.
std::vector<ScheduleOption> schedule_options(const LayerShape& shape, const Layout& layout,
                                             const ClusterSpec& cluster,
                                             const std::vector<int>& chunks = {2, 4, 8},
                                             const std::vector<std::string>& names = kModelCentric);

// The fastest option (ties to the earlier: the simpler schedule) and a one-line
// reason listing every option's predicted time.
const ScheduleOption& schedule_best(const std::vector<ScheduleOption>& options, std::string& why);

// moe.schedule = "auto" and moe.expert_mode = "auto" for one MoE layer of `shape`
// (its tokens: one data-parallel shard's): `given` with the predicted-best
// schedule, chunks and expert mode filled in, and a line for the log saying what
// was chosen and why. The candidates are the model-centric schedules (every one
// the layout allows when the schedule is "auto", else the one named) and, when the
// mode is "auto", data-centric execution. Pure: every rank that asks with the same
// inputs gets the same answer, so no collective is needed. `given` without "auto"
// comes back unchanged, with an empty line.
MoeConfig moe_layer_resolve(const MoeConfig& given, const LayerShape& shape, const Layout& layout,
                            const ClusterSpec& cluster, std::string& line);

}  // namespace paramoe
