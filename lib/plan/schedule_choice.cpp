#include "plan/schedule_choice.h"

#include <cstdio>

namespace paramoe {

std::vector<std::pair<std::string, int>> schedule_candidates(const Layout& layout,
                                                             const std::vector<int>& chunks) {
  std::vector<std::pair<std::string, int>> names = {{"s1", 1}};
  if (layout.esp == layout.mp) names.insert(names.begin(), {"replicated", 1});
  for (int r : chunks) names.push_back({"s2", r});
  return names;
}

std::vector<ScheduleOption> schedule_options(const LayerShape& shape, const Layout& layout,
                                             const ClusterSpec& cluster,
                                             const std::vector<int>& chunks) {
  std::vector<ScheduleOption> out;
  for (const auto& [name, r] : schedule_candidates(layout, chunks))
    out.push_back({name, r, predict_layer(schedule_build(name, r), shape, layout, cluster)});
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

}  // namespace paramoe
