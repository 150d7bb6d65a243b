#include "plan/schedule_choice.h"

#include <algorithm>
#include <cstdio>

namespace paramoe {

std::vector<std::pair<std::string, int>> schedule_candidates(
    const Layout& layout, const std::vector<int>& chunks, const std::vector<std::string>& names) {
  auto wanted = [&](const char* n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  std::vector<std::pair<std::string, int>> out;
  if (wanted("replicated") && layout.esp == layout.mp) out.push_back({"replicated", 1});
  if (wanted("s1")) out.push_back({"s1", 1});
  if (wanted("s2"))
    for (int r : chunks) out.push_back({"s2", r});
  if (wanted("dc")) out.push_back({"dc", 1});
  return out;
}

ScheduleOption schedule_option(const std::string& name, int chunks, const LayerShape& shape,
                               const Layout& layout, const ClusterSpec& cluster) {
  return {name, chunks,
          predict_layer(schedule_build(name, chunks, shape.shared_experts > 0), shape, layout,
                        cluster)};
}

std::vector<ScheduleOption> schedule_options(const LayerShape& shape, const Layout& layout,
                                             const ClusterSpec& cluster,
                                             const std::vector<int>& chunks,
                                             const std::vector<std::string>& names) {
  std::vector<ScheduleOption> out;
  for (const auto& [name, r] : schedule_candidates(layout, chunks, names))
    out.push_back(schedule_option(name, r, shape, layout, cluster));
  return out;
}

const ScheduleOption& schedule_best(const std::vector<ScheduleOption>& options, std::string& why) {
  const ScheduleOption* best = &options.front();
  for (const ScheduleOption& o : options)
    if (o.prediction.total() < best->prediction.total()) best = &o;
  why = "predicted fwd+bwd";
  char buf[96];
  for (const ScheduleOption& o : options) {
    std::snprintf(buf, sizeof buf, " %s%s %.3f ms", o.name.c_str(),
                  o.name == "s2" ? ("(r=" + std::to_string(o.chunks) + ")").c_str() : "",
                  o.prediction.total() * 1e3);
    why += buf;
  }
  return *best;
}

MoeConfig moe_layer_resolve(const MoeConfig& given, const LayerShape& shape, const Layout& layout,
                            const ClusterSpec& cluster, std::string& line) {
  line.clear();
  MoeConfig m = given;
  const bool auto_schedule = m.schedule == "auto", auto_mode = m.expert_mode == "auto";
  if (!auto_schedule && !auto_mode) return m;
  std::vector<ScheduleOption> options;
  if (auto_schedule)
    options = schedule_options(shape, layout, cluster);
  else
    options.push_back(schedule_option(m.schedule, m.chunks, shape, layout, cluster));
  if (auto_mode) options.push_back(schedule_option("dc", 1, shape, layout, cluster));
  std::string why;
  const ScheduleOption& best = schedule_best(options, why);
  if (best.name == "dc") {
    m.expert_mode = "data-centric";
    if (auto_schedule) m.schedule = "s1";  // unused while data-centric
  } else {
    if (auto_mode) m.expert_mode = "model-centric";
    m.schedule = best.name;
    m.chunks = best.chunks;
  }
  line = auto_mode ? "expert_mode auto: " : "schedule auto: ";
  line += best.name == "dc"   ? std::string("data-centric")
          : best.name == "s2" ? "s2 with " + std::to_string(best.chunks) + " chunks"
                              : best.name;
  if (auto_mode && best.name != "dc") line += " (model-centric)";
  line += " on " + cluster.name + " (" + why + ")";
  if (cluster.world() != layout.world)
    line += "; note: the cluster file describes " + std::to_string(cluster.world()) +
            " ranks, this run has " + std::to_string(layout.world);
  return m;
}

}  // namespace paramoe
